//! How a widget writes links and forms. Each transport supplies its own: the native
//! protocol writes real URLs (to the portal page or the host), WSRP writes
//! consumer-rewritten `wsrp_rewrite?…/wsrp_rewrite` URLs. Widgets never build URLs by hand.

/// Where an action form posts, and the hidden fields it must carry (`p_auth`,
/// `p_l_url`, the redirect …). Field names are complete (already namespaced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTarget {
    pub url: String,
    pub hidden: Vec<(String, String)>,
}

pub trait PortletUrls: Send + Sync {
    /// Prefix of every widget parameter, form field and DOM id: `_{portletId}_` natively,
    /// `wsrp_rewrite_` (or the consumer's prefix) over WSRP.
    fn namespace(&self) -> &str;

    /// A link that renders the widget again with these (un-namespaced) render parameters.
    fn render_url(&self, params: &[(&str, &str)]) -> String;

    /// A link to the widget's view, with no render parameters: the way back out of edit
    /// mode. A portal keeps the current mode when a link names none (Liferay
    /// remembers a placement's mode on its page; a WSRP consumer keeps it), so each
    /// transport names the view; by default, a render URL.
    fn view_url(&self) -> String {
        self.render_url(&[])
    }

    /// A render link that brings the reader to `element` (an id in the widget's own
    /// markup, namespaced): a card's Back lands on the row the card was opened from,
    /// not at the top of the list. By default a plain render URL: over WSRP the id
    /// may still be the `wsrp_rewrite_` token the consumer rewrites in the markup,
    /// which a `wsrp-fragmentID` would not match.
    fn render_url_landing(&self, params: &[(&str, &str)], element: &str) -> String {
        let _ = element;
        self.render_url(params)
    }

    /// Where the form of `action` posts. Its own fields must be namespaced with [`Self::namespace`].
    fn action_target(&self, action: &str) -> ActionTarget;

    /// A link that fetches `resource` with these (un-namespaced) parameters.
    fn resource_url(&self, resource: &str, params: &[(&str, &str)]) -> String;
}
