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
use crate::store::{Filter, Listed, Person, Reader};
use crate::vcard;
use crate::widgets::ui::{Ui, social_error, store_error};
use crate::widgets::{Resource, WidgetError};

/// Most cards one `connections` export may hold, so one download stays bounded: the
/// first this many connections, in the list's order.
pub const MAX_EXPORT: usize = 10_000;

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
    let (people, filename): (Vec<Person>, String) =
        if req.params.get("filter") == Some(Filter::Connections.as_str()) {
            let mut people = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = reader
                    .list(me, Filter::Connections, cursor.as_deref(), 500)
                    .map_err(|e| store_error(ui, e))?;
                people.extend(page.items.into_iter().filter_map(|i| match i {
                    Listed::Person(p) => Some(p),
                    Listed::Entry(_) => None,
                }));
                match page.next_cursor {
                    Some(c) if people.len() < MAX_EXPORT => cursor = Some(c),
                    _ => break,
                }
            }
            people.truncate(MAX_EXPORT);
            // A vCard file holds at least one card (RFC 6350's grammar); the page shows
            // the export link only when there are connections.
            if people.is_empty() {
                return Err(ui.not_found("you-have-no-connections"));
            }
            (people, "connections.vcf".to_owned())
        } else {
            let ids = params::user_ids(&req.params)
                .ok()
                .filter(|ids| !ids.is_empty())
                .ok_or_else(|| ui.bad_request("the-request-is-invalid"))?;
            let mut people = Vec::with_capacity(ids.len());
            for id in &ids {
                let person = reader
                    .person(id)
                    .map_err(|e| store_error(ui, e))?
                    .ok_or_else(|| ui.not_found("the-user-could-not-be-found"))?;
                people.push(person);
            }
            let filename = match people.as_slice() {
                [one] => vcard::filename_for(&cards::display_name(one)),
                _ => "contacts.vcf".to_owned(),
            };
            (people, filename)
        };
    let settings = Settings::load(reader, req).map_err(|e| store_error(ui, e))?;
    let cards: Vec<vcard::Card> = people.iter().map(|p| cards::card(&settings, p)).collect();
    Ok(Resource {
        content_type: "text/vcard; charset=utf-8".to_owned(),
        filename: Some(filename),
        body: vcard::write(&cards, version).into_bytes(),
    })
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

/// One person's JSON with the relationship and the mutual connection count.
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
    json_resource(&v)
}
