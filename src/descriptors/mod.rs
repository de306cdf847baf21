//! Liferay descriptors (`portlet.xml`, `liferay-portlet.xml`, `liferay-display.xml`):
//! parsing, validation with file:line:column errors, and the live catalog of widgets.
//!
//! - [`xml`] reads a file defensively into a tree with positions;
//! - [`order`] checks the element order the XSDs and DTDs fix;
//! - [`portlet_xml`] and [`liferay`] read each file;
//! - [`catalog`] merges a widget folder and builds, reloads and serves the [`Catalog`];
//! - [`watch`] reloads it when the folder changes; [`check`] backs `descriptors check`.

pub mod catalog;
pub mod check;
pub mod liferay;
pub mod model;
pub mod order;
pub mod portlet_xml;
pub mod watch;
pub mod xml;

use std::path::PathBuf;

pub use catalog::{builtin, catalog_json, load_dir, reload, say};
pub use check::{CheckReport, a_file_in_its_place, check, check_served};
pub use model::{
    Catalog, CatalogHandle, Problem, STANDARD_WINDOW_STATES, WidgetDescriptor, with_standard_states,
};
pub use watch::{Watcher, spawn_watcher, spawn_watcher_looking_every};
pub use xml::MAX_DESCRIPTOR_BYTES;

/// What stops the descriptor layer from working at all. Problems in descriptors are not
/// errors: they are [`Problem`]s listed in the [`Catalog`].
#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    #[error("cannot watch descriptors directory {dir}: {reason}")]
    Watch { dir: PathBuf, reason: String },
}
