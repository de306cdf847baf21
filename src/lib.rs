//! widget-host: hosts portal widgets (portlets) outside the portal's JVM.
//!
//! The layers, top to bottom (imports only point down):
//! transports ([`http`], [`wsrp`]) build a [`portal::Request`] and hand it to a
//! [`widgets::Widget`]; widgets use [`social`] for the rules and [`templates`]-rendered
//! markup; [`social`] keeps its state in [`store`] (redb).

#[cfg(test)]
mod captured_log;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod descriptors;
pub mod directory;
pub mod error;
pub mod http;
pub mod i18n;
pub mod portal;
pub mod social;
pub mod store;
pub mod templates;
pub mod throttle;
pub mod vcard;
pub mod widgets;
pub mod wsrp;

pub use http::server::{launch, launch_with};
