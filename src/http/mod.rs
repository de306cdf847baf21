//! The native HTTP transport (hyper 1): routing, limits, and the mapping of portal
//! requests and widget answers to HTTP.

pub mod api;
pub mod claims;
pub mod cors;
pub mod disk_figures;
pub mod jwks_watch;
pub mod large_answers;
pub mod linger;
pub mod metrics;
pub mod native;
pub mod render_pool;
pub mod response;
pub mod router;
pub mod server;
pub mod shares;
pub mod stall;
pub mod state;
pub mod widget_routes;
pub mod wsrp_routes;
