//! The Notifications widget: the viewer's pending connection requests, to confirm or ignore.

/// The `<portlet-class>` that selects this widget.
pub const KIND: &str = "widget-host:notifications";
