//! The Contacts Center widget: connections, follows, blocks, filtered lists, search,
//! personal contacts and vCard export.

/// The `<portlet-class>` that selects this widget.
pub const KIND: &str = "widget-host:contacts-center";
