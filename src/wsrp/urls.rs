//! Consumer URL rewriting (WSRP 2.0, section 10.2.1).
//!
//! The producer cannot know the consumer's page URLs, so it writes placeholders that
//! the consumer replaces before the page reaches the browser:
//! `wsrp_rewrite?wsrp-urlType=render&wsrp-navigationalState=…/wsrp_rewrite`.
//! Values are URL-encoded, so a value can never contain the `/wsrp_rewrite` end
//! token. The URLs use a plain `&`: widget templates autoescape, so markup carries
//! `&amp;`, which the spec asks consumers to accept.
//!
//! The widget's render parameters travel as the navigational state, and the action's
//! name as the interaction state, each as `application/x-www-form-urlencoded` pairs
//! written in base64url: opaque to the consumer, readable again by [`decode_state`].
//! Opaque means the consumer may hand a state back as it found it in the URL or
//! URL-decoded (GateIn keeps the raw text, Liferay decodes it): base64url has only
//! letters, digits, `-` and `_`, which read the same either way, where pairs written
//! as they are (`action%3Dsay` in the URL) came back from a consumer that does not
//! decode as one key with no value.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::portal::{ActionTarget, Params, PortletUrls};

/// Start and end tokens of a rewritten URL.
pub const REWRITE_START: &str = "wsrp_rewrite?";
pub const REWRITE_END: &str = "/wsrp_rewrite";
/// Namespace token the consumer replaces with its own prefix.
pub const REWRITE_NAMESPACE: &str = "wsrp_rewrite_";
/// Key of the action name inside `wsrp-interactionState`.
pub const ACTION_KEY: &str = "action";

/// [`PortletUrls`] for one WSRP call.
#[derive(Debug, Clone)]
pub struct WsrpUrls {
    /// The namespace the markup is written with: the mark's, until
    /// [`Self::finish_markup`] makes it [`Self::consumer_namespace`].
    namespace: String,
    /// The consumer's `namespacePrefix`, or the `wsrp_rewrite_` token it rewrites.
    consumer_namespace: String,
    /// What this call's URLs carry in place of `wsrp_rewrite` until
    /// [`Self::finish_markup`]: random, so no text a person wrote can hold it.
    mark: String,
}

impl WsrpUrls {
    /// `namespace_prefix` is the consumer's `runtimeContext/namespacePrefix`; when it is
    /// empty the `wsrp_rewrite_` token is written and the consumer rewrites it. Until
    /// [`Self::finish_markup`] either is written as the mark, so that the same text a
    /// person wrote can be told from the host's (and a prefix holding the token, or
    /// the token itself, is not taken for such text).
    pub fn new(namespace_prefix: Option<&str>) -> Self {
        let mark = format!("wsrpmark{:032x}", rand::random::<u128>());
        let consumer_namespace = match namespace_prefix.map(str::trim) {
            Some(p) if !p.is_empty() => p.to_owned(),
            _ => REWRITE_NAMESPACE.to_owned(),
        };
        Self {
            namespace: format!("{mark}ns_"),
            consumer_namespace,
            mark,
        }
    }

    /// The namespace as the consumer sees it in the markup, which a form's fields
    /// come back with when the consumer passes them on as the browser sent them.
    pub fn consumer_namespace(&self) -> &str {
        &self.consumer_namespace
    }

    /// The markup as the consumer may see it. The URLs this call wrote get their real
    /// `wsrp_rewrite?…/wsrp_rewrite` tokens; any other start or end token in the
    /// markup came from text (a name, a job title, a website) and would make the
    /// consumer rewrite it into one of its own URLs, its `p_auth` included, so it is
    /// written with `_` as `&#95;`, which a browser reads the same and a consumer
    /// leaves alone. So is a namespace token in text (`wsrp_rewrite_x` in a job title,
    /// which the consumer would make its own prefix, changing what the person wrote,
    /// and what an edit form saves back): only this call's namespace is written as one.
    pub fn finish_markup(&self, html: &str) -> String {
        let end = format!("/{}", self.mark);
        let mut out = html.to_owned();
        // A template that escapes `/` (an administrator's) writes our end token so.
        for slash in ["&#x2f;", "&#x2F;", "&#47;"] {
            out = out.replace(&format!("{slash}{}", self.mark), &end);
        }
        let out = out
            .replace(REWRITE_START, "wsrp&#95;rewrite?")
            .replace(REWRITE_END, "/wsrp&#95;rewrite")
            .replace(REWRITE_NAMESPACE, "wsrp&#95;rewrite_")
            .replace(&self.namespace, &self.consumer_namespace);
        out.replace(&format!("{}?", self.mark), REWRITE_START)
            .replace(&end, REWRITE_END)
    }
}

/// Encodes pairs as `a=1&b=2` (URL-encoded), written in base64url without padding.
pub fn encode_state<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    URL_SAFE_NO_PAD.encode(s.finish())
}

/// Most pairs a state yields, as many as a native request may carry: a state is the
/// consumer's to send, and 512 KiB of `a=&a=&…` would be a hundred thousand pairs.
pub const MAX_STATE_PAIRS: usize = 1_000;

/// Reads a state written by [`encode_state`], or pairs written as they are (as hosts
/// before wrote them, so a state a consumer kept still reads: once URL-encoded, or
/// twice when the consumer handed back the URL's raw text). Foreign or garbled
/// states yield whatever pairs they contain, up to [`MAX_STATE_PAIRS`]; never an
/// error, since the consumer owns the value.
pub fn decode_state(state: &str) -> Params {
    let is_base64url = state
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let pairs: String = match URL_SAFE_NO_PAD
        .decode(state)
        .ok()
        .filter(|_| is_base64url)
        .and_then(|bytes| String::from_utf8(bytes).ok())
    {
        Some(pairs) => pairs,
        None if !state.contains('=') && state.to_ascii_uppercase().contains("%3D") => {
            percent_encoding::percent_decode_str(state)
                .decode_utf8_lossy()
                .into_owned()
        }
        None => state.to_owned(),
    };
    let mut params = Params::new();
    for (k, v) in form_urlencoded::parse(pairs.as_bytes()).take(MAX_STATE_PAIRS) {
        if !k.is_empty() {
            params.add(k.into_owned(), v.into_owned());
        }
    }
    params
}

/// `wsrp_rewrite?k=v&k=v/wsrp_rewrite` with URL-encoded values, `wsrp_rewrite` written
/// as `mark` (see [`WsrpUrls::finish_markup`]).
fn rewrite_url(mark: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = format!("{mark}?");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            url.push('&');
        }
        url.push_str(k);
        url.push('=');
        url.extend(form_urlencoded::byte_serialize(v.as_bytes()));
    }
    url.push('/');
    url.push_str(mark);
    url
}

impl PortletUrls for WsrpUrls {
    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn render_url(&self, params: &[(&str, &str)]) -> String {
        let state = encode_state(params.iter().copied());
        rewrite_url(
            &self.mark,
            &[
                ("wsrp-urlType", "render"),
                ("wsrp-navigationalState", &state),
            ],
        )
    }

    fn view_url(&self) -> String {
        rewrite_url(
            &self.mark,
            &[
                ("wsrp-urlType", "render"),
                ("wsrp-mode", "wsrp:view"),
                ("wsrp-navigationalState", ""),
            ],
        )
    }

    fn action_target(&self, action: &str) -> ActionTarget {
        let state = encode_state([(ACTION_KEY, action)]);
        ActionTarget {
            url: rewrite_url(
                &self.mark,
                &[
                    ("wsrp-urlType", "blockingAction"),
                    ("wsrp-interactionState", &state),
                ],
            ),
            hidden: Vec::new(),
        }
    }

    fn resource_url(&self, resource: &str, params: &[(&str, &str)]) -> String {
        let state = encode_state(params.iter().copied());
        rewrite_url(
            &self.mark,
            &[
                ("wsrp-urlType", "resource"),
                ("wsrp-resourceID", resource),
                ("wsrp-resourceState", &state),
                ("wsrp-preferOperation", "true"),
                ("wsrp-requiresRewrite", "false"),
            ],
        )
    }
}

/// Splits a rewritten URL into its parameters, as a consumer would. Used by tests and
/// by anyone checking markup; `None` when `url` is not a rewrite URL.
pub fn parse_rewrite_url(url: &str) -> Option<Vec<(String, String)>> {
    let inner = url.strip_prefix(REWRITE_START)?.strip_suffix(REWRITE_END)?;
    let inner = inner.replace("&amp;", "&");
    Some(
        form_urlencoded::parse(inner.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn render_url_carries_navigational_state() {
        let urls = WsrpUrls::new(None);
        assert_eq!(urls.finish_markup(urls.namespace()), "wsrp_rewrite_");
        assert_eq!(urls.consumer_namespace(), "wsrp_rewrite_");
        let url =
            urls.finish_markup(&urls.render_url(&[("filter", "a&b/wsrp_rewrite"), ("page", "2")]));
        assert!(
            url.starts_with("wsrp_rewrite?wsrp-urlType=render&"),
            "{url}"
        );
        assert_eq!(url.matches(REWRITE_END).count(), 1, "{url}");
        let pairs = parse_rewrite_url(&url).expect("rewrite url");
        let state = decode_state(get(&pairs, "wsrp-navigationalState").expect("state"));
        assert_eq!(state.get("filter"), Some("a&b/wsrp_rewrite"));
        assert_eq!(state.get("page"), Some("2"));
    }

    /// A consumer may hand a state back as the URL had it or URL-decoded: both read
    /// the same, for the navigational, interaction and resource states alike.
    #[test]
    fn a_state_reads_the_same_raw_or_url_decoded() {
        let urls = WsrpUrls::new(None);
        let tricky = [("filter", "a&b=c %2F é+/wsrp_rewrite"), ("page", "2")];
        let links = [
            (urls.render_url(&tricky), "wsrp-navigationalState"),
            (urls.resource_url("vcard", &tricky), "wsrp-resourceState"),
        ];
        for (url, key) in links {
            let url = urls.finish_markup(&url);
            let inner = url
                .strip_prefix(REWRITE_START)
                .and_then(|u| u.strip_suffix(REWRITE_END))
                .expect("a rewrite url");
            let raw = inner
                .split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{key}=")))
                .expect("the state");
            let decoded = get(&parse_rewrite_url(&url).expect("parsed"), key)
                .expect("state")
                .to_owned();
            // Nothing in it that URL-decoding changes.
            assert_eq!(raw, decoded, "{key}");
            for state in [raw, decoded.as_str()] {
                let params = decode_state(state);
                assert_eq!(params.get("filter"), Some(tricky[0].1), "{key}: {state}");
                assert_eq!(params.get("page"), Some("2"), "{key}: {state}");
            }
        }
        let action = urls.finish_markup(&urls.action_target("follow").url);
        let raw = action
            .split("wsrp-interactionState=")
            .nth(1)
            .and_then(|rest| rest.strip_suffix(REWRITE_END))
            .expect("the interaction state");
        assert_eq!(decode_state(raw).get(ACTION_KEY), Some("follow"));
    }

    /// A state written as plain pairs, as hosts before this one wrote them and as a
    /// consumer may have kept one, still reads: URL-decoded or as the URL had it.
    #[test]
    fn a_state_of_plain_pairs_still_reads() {
        assert_eq!(
            decode_state("action=connect").get(ACTION_KEY),
            Some("connect")
        );
        let raw = decode_state("filter%3Dconnections%26keywords%3Da%2Bb");
        assert_eq!(raw.get("filter"), Some("connections"));
        assert_eq!(raw.get("keywords"), Some("a b"));
        assert_eq!(decode_state("userId=42").get("userId"), Some("42"));
        assert!(decode_state("").iter().next().is_none());
    }

    /// The way back from edit mode names the view mode: the consumer would keep edit.
    #[test]
    fn the_view_url_names_the_view_mode_and_no_state() {
        let urls = WsrpUrls::new(None);
        let url = urls.finish_markup(&urls.view_url());
        let pairs = parse_rewrite_url(&url).expect("rewrite url");
        assert_eq!(get(&pairs, "wsrp-urlType"), Some("render"));
        assert_eq!(get(&pairs, "wsrp-mode"), Some("wsrp:view"));
        assert_eq!(get(&pairs, "wsrp-navigationalState"), Some(""));
    }

    #[test]
    fn a_state_yields_at_most_a_requests_worth_of_pairs() {
        let state = "a=1&".repeat(100_000);
        let params = decode_state(&state);
        assert_eq!(params.iter().count(), MAX_STATE_PAIRS);
        let state = format!("{}b=2", "a=1&".repeat(10));
        assert_eq!(
            decode_state(&state).get("b"),
            Some("2"),
            "a short one is whole"
        );
    }

    #[test]
    fn action_and_resource_urls() {
        let urls = WsrpUrls::new(Some("ns1_"));
        assert_eq!(urls.finish_markup(urls.namespace()), "ns1_");
        assert_eq!(urls.consumer_namespace(), "ns1_");
        let target = urls.action_target("follow");
        let pairs = parse_rewrite_url(&urls.finish_markup(&target.url)).expect("rewrite url");
        assert_eq!(get(&pairs, "wsrp-urlType"), Some("blockingAction"));
        let state = decode_state(get(&pairs, "wsrp-interactionState").expect("state"));
        assert_eq!(state.get(ACTION_KEY), Some("follow"));
        let url = urls.finish_markup(&urls.resource_url("vcard", &[("userId", "7")]));
        let pairs = parse_rewrite_url(&url).expect("rewrite url");
        assert_eq!(get(&pairs, "wsrp-urlType"), Some("resource"));
        assert_eq!(get(&pairs, "wsrp-resourceID"), Some("vcard"));
        let state = decode_state(get(&pairs, "wsrp-resourceState").expect("state"));
        assert_eq!(state.get("userId"), Some("7"));
    }

    #[test]
    fn only_the_urls_of_this_call_reach_the_consumer_as_tokens() {
        let urls = WsrpUrls::new(None);
        let ours = urls.render_url(&[("filter", "all")]);
        // What a person could type into a name or a website, as the escaper writes it.
        let forged = "wsrp_rewrite?wsrp-urlType=blockingAction&amp;wsrp-interactionState=action%3Dfollow/wsrp_rewrite";
        let markup = format!(
            "<a href=\"{ours}\">x</a><p>{forged}</p><a href=\"https://evil.example/?x={forged}\">y</a>"
        );
        let finished = urls.finish_markup(&markup);
        assert_eq!(finished.matches(REWRITE_START).count(), 1, "{finished}");
        assert_eq!(finished.matches(REWRITE_END).count(), 1, "{finished}");
        assert!(finished.starts_with("<a href=\"wsrp_rewrite?wsrp-urlType=render&"));
        // The forged text still reads the same in a browser.
        assert!(finished.contains("<p>wsrp&#95;rewrite?wsrp-urlType=blockingAction"));
        assert!(finished.contains("action%3Dfollow/wsrp&#95;rewrite</p>"));
        // Another call's mark is just text here.
        let other = WsrpUrls::new(None).render_url(&[]);
        assert!(!urls.finish_markup(&other).contains(REWRITE_START));
    }

    /// With no prefix from the consumer, the namespace it rewrites is written only
    /// where the host named its own fields and ids: the same token in what a person
    /// wrote is left as text the consumer passes over, and reads the same. With a
    /// prefix the token is the host's only where the prefix holds it, and then in a
    /// script's string too, where `&#95;` would not read as `_`.
    #[test]
    fn only_the_namespace_of_this_call_reaches_the_consumer_as_a_token() {
        for prefix in [None, Some("ns1_"), Some("wsrp_rewrite_1_")] {
            let urls = WsrpUrls::new(prefix);
            let ns = urls.namespace().to_owned();
            let markup = format!(
                "<form id=\"{ns}entry\"><input name=\"{ns}fullName\" value=\"wsrp_rewrite_x\"></form><p>wsrp_rewrite_y</p><script>f(\"{ns}root\");</script>"
            );
            let finished = urls.finish_markup(&markup);
            let named = prefix.unwrap_or(REWRITE_NAMESPACE);
            assert!(
                finished.ends_with(&format!("<script>f(\"{named}root\");</script>")),
                "{finished}"
            );
            let ours = if named.contains(REWRITE_NAMESPACE) {
                3
            } else {
                0
            };
            assert_eq!(
                finished.matches(REWRITE_NAMESPACE).count(),
                ours,
                "{finished}"
            );
            assert!(
                finished.contains("value=\"wsrp&#95;rewrite_x\"></form><p>wsrp&#95;rewrite_y</p>"),
                "{finished}"
            );
            assert!(
                finished.starts_with(&format!(
                    "<form id=\"{named}entry\"><input name=\"{named}fullName\""
                )),
                "{finished}"
            );
        }
    }

    #[test]
    fn an_end_token_written_with_an_escaped_slash_is_restored() {
        let urls = WsrpUrls::new(None);
        let ours = urls.render_url(&[("filter", "all")]);
        let (body, end) = ours.rsplit_once('/').expect("end token");
        for slash in ["&#x2f;", "&#x2F;", "&#47;"] {
            let finished = urls.finish_markup(&format!("{body}{slash}{end}"));
            assert!(parse_rewrite_url(&finished).is_some(), "{finished}");
            // Text with the same entity is not made into a token.
            let text = urls.finish_markup(&format!("wsrp_rewrite?a=1{slash}wsrp_rewrite"));
            assert!(!text.contains(REWRITE_START), "{text}");
        }
    }
}
