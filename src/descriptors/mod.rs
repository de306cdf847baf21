//! Liferay descriptors (`portlet.xml`, `liferay-portlet.xml`, `liferay-display.xml`):
//! parsing, validation with file:line:column errors, and the live catalog of widgets.

pub mod model;

pub use model::{Catalog, CatalogHandle, Problem, WidgetDescriptor};
