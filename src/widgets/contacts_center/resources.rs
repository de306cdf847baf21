//! The resource phase: vCards and JSON pages. Guests are refused.
//!
//! A person who is blocked by (or blocks) another can still download that person's
//! card: the product documentation lets a blocked user see the blocker's card and
//! public information, and a vCard holds exactly that directory information — nothing
//! of the social graph. Blocks refuse actions, not reading the directory.

use serde_json::{Value, json};

use super::cards::{self, relationship_json};
use super::params;
use super::preferences::Settings;
use crate::portal::Request;
use crate::social::Social;
use crate::store::{Filter, Listed, Person, Reader, Relationship, RequestId, StoreError};
use crate::vcard;
use crate::widgets::ui::{Ui, social_error, store_error};
use crate::widgets::{Resource, WidgetError};

/// Most cards one `connections` export may hold, so one download stays bounded: the
/// first this many connections, in the list's order.
pub const MAX_EXPORT: usize = 10_000;

/// Most bytes an export of all connections holds before it ends: it ends after the
/// card that reaches this. Ordinary cards (a few hundred bytes) meet [`MAX_EXPORT`]
/// first; this bounds an export of people imported with the longest contact lists
/// the directory takes (32 of each kind, some 160 KB of text a card, up to four
/// times that in bytes when written in other scripts), which at 10,000 cards would
/// be gigabytes held at once on a render thread. A list of ids is never cut short
/// (the person asked for each of those cards): see [`MAX_CHOSEN_EXPORT_BYTES`].
pub const MAX_EXPORT_BYTES: usize = 16 * 1024 * 1024;

/// Most bytes an export of a list of ids may hold: past it the export is refused
/// (400) as soon as it gets there. Its 200 ids (`params::MAX_BULK`) could otherwise
/// make over 100 MB of the largest cards on a render thread, only to be refused once
/// built: one person's large answers hold 32 MiB at most
/// (`http::large_answers`), and this is that.
pub const MAX_CHOSEN_EXPORT_BYTES: usize = 2 * MAX_EXPORT_BYTES;

/// People read per page of a `connections` export: few, so that a page of the
/// largest cards is a few megabytes.
const EXPORT_PAGE: usize = 100;

/// The resources [`serve`] knows.
pub(crate) const NAMES: &[&str] = &["vcard", "contacts", "contact"];

pub(crate) fn serve(ui: &Ui<'_>, social: &Social) -> Result<Resource, WidgetError> {
    let req = ui.req;
    let user = req.viewer.user().ok_or(WidgetError::SignInRequired)?;
    let name = req.name.as_deref().unwrap_or("");
    let reader = social.read().map_err(|e| social_error(ui, e))?;
    match name {
        "vcard" => vcard_resource(ui, &reader, &user.user_id),
        "contacts" => contacts(ui, &reader, &user.user_id),
        "contact" => contact(ui, &reader, &user.user_id),
        other => Err(WidgetError::UnknownResource(other.to_owned())),
    }
}

fn json_resource(value: &Value) -> Result<Resource, WidgetError> {
    let body = serde_json::to_vec(value).map_err(|e| WidgetError::Internal(e.to_string()))?;
    Ok(Resource {
        content_type: "application/json".to_owned(),
        filename: None,
        body,
    })
}

fn vcard_resource(ui: &Ui<'_>, reader: &Reader, me: &str) -> Result<Resource, WidgetError> {
    let req: &Request = ui.req;
    let version = match req.params.get("version") {
        None => vcard::Version::V3,
        Some(v) => vcard::Version::parse(v.trim())
            .ok_or_else(|| ui.bad_request("the-request-is-invalid"))?,
    };
    let settings = Settings::load(reader, req).map_err(|e| store_error(ui, e))?;
    let mut file = Export {
        settings: &settings,
        version,
        body: String::new(),
        cards: 0,
    };
    let filename = if req.params.get("filter") == Some(Filter::Connections.as_str()) {
        let mut cursor: Option<String> = None;
        // Whether connections were left out: the file had no room for them.
        let mut cut = false;
        'pages: loop {
            let page = reader
                .list(me, Filter::Connections, cursor.as_deref(), EXPORT_PAGE)
                .map_err(|e| store_error(ui, e))?;
            for (at, item) in page.items.iter().enumerate() {
                if let Listed::Person(p) = item
                    && !file.add(p)
                {
                    cut = at + 1 < page.items.len() || page.next_cursor.is_some();
                    break 'pages;
                }
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        // A vCard file holds at least one card (RFC 6350's grammar); the page shows
        // the export link only when there are connections.
        if file.cards == 0 {
            return Err(ui.not_found("you-have-no-connections"));
        }
        // Named in the reader's language, as the list they exported is. A file the
        // caps cut short says which of the list it holds ("Connections_1-9871.vcf"):
        // the link warns of the count cap only, and the byte cap can come first.
        if cut {
            vcard::filename_for(&format!("{} 1-{}", ui.t("connections"), file.cards))
        } else {
            vcard::filename_for(&ui.t("connections"))
        }
    } else {
        let ids = match params::user_ids(&req.params) {
            Ok(ids) if !ids.is_empty() => ids,
            Err(params::IdsRefused::TooMany) => {
                return Err(WidgetError::BadRequest {
                    key: super::messages::TOO_MANY_PEOPLE,
                    text: super::messages::text(ui, super::messages::TOO_MANY_PEOPLE),
                });
            }
            _ => return Err(ui.bad_request("the-request-is-invalid")),
        };
        let mut first: Option<String> = None;
        for id in &ids {
            let person = reader
                .person(id)
                .map_err(|e| store_error(ui, e))?
                .ok_or_else(|| ui.not_found("the-user-could-not-be-found"))?;
            // Named as its card calls the person (its FN).
            first.get_or_insert_with(|| cards::card(&settings, &person).display_name());
            file.append(&person);
            if file.body.len() > MAX_CHOSEN_EXPORT_BYTES {
                return Err(ui.bad_request("the-export-is-too-large-choose-fewer-people"));
            }
        }
        match (ids.len(), first) {
            (1, Some(name)) => vcard::filename_for(&name),
            _ => vcard::filename_for(&ui.t("people")),
        }
    };
    Ok(Resource {
        content_type: vcard::CONTENT_TYPE.to_owned(),
        filename: Some(filename),
        body: file.body.into_bytes(),
    })
}

/// A vCard file written card by card; an export of all connections stops at
/// [`MAX_EXPORT`] cards or [`MAX_EXPORT_BYTES`].
struct Export<'a> {
    settings: &'a Settings,
    version: vcard::Version,
    body: String,
    cards: usize,
}

impl Export<'_> {
    fn has_room(&self) -> bool {
        self.cards < MAX_EXPORT && self.body.len() < MAX_EXPORT_BYTES
    }

    fn append(&mut self, person: &Person) {
        vcard::append(
            &mut self.body,
            &cards::card(self.settings, person),
            self.version,
        );
        self.cards += 1;
    }

    /// Writes `person`'s card; `false` once the file has no room for another.
    fn add(&mut self, person: &Person) -> bool {
        self.append(person);
        self.has_room()
    }
}

/// A JSON page of a filter: `{items, nextCursor}`.
fn contacts(ui: &Ui<'_>, reader: &Reader, me: &str) -> Result<Resource, WidgetError> {
    let req = ui.req;
    let settings = Settings::load(reader, req).map_err(|e| store_error(ui, e))?;
    let filter = match req.params.get("filter") {
        None => Filter::All,
        Some(f) => Filter::parse(f).ok_or_else(|| ui.bad_request("the-request-is-invalid"))?,
    };
    let keywords = params::keywords(&req.params);
    let page = reader
        .search_in(
            me,
            &keywords,
            filter,
            req.params.get("cursor"),
            settings.page_size(),
            settings.searchable(),
        )
        .map_err(|e| store_error(ui, e))?;
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        items.push(match item {
            Listed::Person(p) => {
                let r = reader.standing(me, &p.id).map_err(|e| store_error(ui, e))?;
                let mut v = cards::person_json(&settings, p);
                v["relationship"] = relationship_json(&r);
                if let Some(id) =
                    pending_request(reader, me, &p.id, &r).map_err(|e| store_error(ui, e))?
                {
                    v["requestId"] = json!(id);
                }
                v
            }
            Listed::Entry(e) => {
                let mut v = json!({
                    "entryId": e.entry_id,
                    "fullName": e.full_name,
                    "emailAddress": e.email_address,
                });
                // As the list shows them: a placement that hides comments hides them
                // here too. The edit form keeps them, or saving it would erase them.
                if settings.flag("showComments", true) {
                    v["comments"] = json!(e.comments);
                }
                v
            }
        });
    }
    json_resource(&json!({ "items": items, "nextCursor": page.next_cursor }))
}

/// One person's JSON with the relationship, the mutual connection count, the
/// card's other details (`emails`, `phones`, `addresses`, `websites`: what the card
/// shows, as the placement's preferences allow), and the `requestId` of a request
/// pending between the two, which the card's Confirm, Ignore or Withdraw takes.
fn contact(ui: &Ui<'_>, reader: &Reader, me: &str) -> Result<Resource, WidgetError> {
    let req = ui.req;
    let settings = Settings::load(reader, req).map_err(|e| store_error(ui, e))?;
    let id = req
        .params
        .get("userId")
        .filter(|id| crate::store::is_portal_user_id(id))
        .ok_or_else(|| ui.bad_request("the-request-is-invalid"))?;
    let person = reader
        .person(id)
        .map_err(|e| store_error(ui, e))?
        .ok_or_else(|| ui.not_found("the-user-could-not-be-found"))?;
    let r = reader
        .relationship(me, id)
        .map_err(|e| store_error(ui, e))?;
    let mut v = cards::person_json(&settings, &person);
    v["relationship"] = relationship_json(&r);
    v["mutualConnections"] = json!(r.mutual_connections);
    v["details"] = json!(cards::details(ui, &settings, &person));
    if let Some(request) = pending_request(reader, me, id, &r).map_err(|e| store_error(ui, e))? {
        v["requestId"] = json!(request);
    }
    json_resource(&v)
}

/// The id of the request pending between `me` and `other`, either way, as their
/// standing `r` says one is: what Confirm, Ignore or Withdraw takes. A point lookup
/// only for a person with a request pending.
fn pending_request(
    reader: &Reader,
    me: &str,
    other: &str,
    r: &Relationship,
) -> Result<Option<RequestId>, StoreError> {
    if r.connection_request_received {
        reader.pending_request_id(other, me)
    } else if r.connection_requested {
        reader.pending_request_id(me, other)
    } else {
        Ok(None)
    }
}
