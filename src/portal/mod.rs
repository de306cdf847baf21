//! The portal's vocabulary, shared by every transport: who asks ([`auth`]), what they
//! ask for ([`request`]) and how a widget links back into the page ([`urls`]).

pub mod auth;
pub mod request;
pub mod urls;

pub use request::{
    Params, Phase, PortalUser, PortletId, PortletMode, Profile, Request, Viewer, WindowState,
    covers_html,
};
pub use urls::{ActionTarget, PortletUrls};
