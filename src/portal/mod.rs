//! The portal's vocabulary, shared by every transport: who asks ([`auth`]), what they
//! ask for ([`request`]), how a widget links back into the page ([`urls`]) and how its
//! downloads are named ([`download`]).

pub mod auth;
pub mod download;
pub mod request;
pub mod urls;

pub use request::{
    Params, Phase, PortalUser, PortletId, PortletMode, Profile, Request, Viewer, WindowState,
    covers_html, csp_nonce, own_param,
};
pub use urls::{ActionTarget, PortletUrls};
