//! What an action did, or why it was refused. Both are enums so the widget layer maps
//! each to a language key in one `match`, and tests can name them exactly.

use crate::store::{EntryId, Relationship, RequestId};

/// A successful outcome — including "nothing to do", which changes nothing and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    RequestSent {
        request_id: RequestId,
    },
    /// Connected: by accepting, or by connecting to someone who had already asked.
    Connected,
    AlreadyConnected,
    AlreadyRequested,
    Disconnected,
    NotConnected,
    NowFollowing,
    AlreadyFollowing,
    Unfollowed,
    NotFollowing,
    FollowerRemoved,
    NotFollower,
    Blocked,
    AlreadyBlocked,
    Unblocked,
    NotBlocked,
    RequestIgnored,
    RequestWithdrawn,
    EntryCreated {
        entry_id: EntryId,
    },
    EntryUpdated {
        entry_id: EntryId,
    },
    EntryDeleted,
    /// Deleting a contact the person does not hold, whose id was issued: a second
    /// press of Delete, or a portal's retry, after the first deleted it. Someone
    /// else's contact reads the same, so trying ids tells nobody whose they are.
    EntryGone,
}

impl Done {
    /// Whether the action changed anything: the `Already…` and `Not…` outcomes found
    /// things already as the person asked.
    pub fn changed(self) -> bool {
        !matches!(
            self,
            Self::AlreadyConnected
                | Self::AlreadyRequested
                | Self::NotConnected
                | Self::AlreadyFollowing
                | Self::NotFollowing
                | Self::NotFollower
                | Self::AlreadyBlocked
                | Self::NotBlocked
                | Self::EntryGone
        )
    }
}

/// Why an action was refused. A refused action changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("a user id is malformed")]
    MalformedId,
    #[error("no such user")]
    UnknownPerson,
    /// The acting user is not in the directory.
    #[error("the acting user is not in the directory")]
    UnknownViewer,
    #[error("you cannot do this to yourself")]
    SelfAction,
    /// The actor blocks the other person.
    #[error("you have blocked this user")]
    Blocking,
    /// The other person blocks the actor.
    #[error("this user has blocked you")]
    BlockedBy,
    #[error("no such request")]
    UnknownRequest,
    #[error("only the receiver can answer a request")]
    NotReceiver,
    #[error("only the requester can withdraw a request")]
    NotRequester,
    #[error("the request is no longer pending")]
    NotPending,
    #[error("no such contact")]
    UnknownEntry,
    #[error("a full name is required")]
    NameRequired,
    #[error("the email address is not valid")]
    InvalidEmail,
    #[error("another contact already has this email address")]
    DuplicateEmail,
    #[error("a field is too long")]
    TooLong,
    /// The owner keeps as many personal contacts as anyone may (`MAX_CONTACTS`).
    #[error("you keep as many contacts as you may")]
    TooManyContacts,
    #[error("no user was named")]
    NoTarget,
    /// More people than one action takes were named (the widget's bulk limit).
    #[error("more users were named than one action takes")]
    TooManyTargets,
}

/// The outcome for one target of an action (a user id, a request id or an entry id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome {
    /// The portal user id acted on (the other party, for request actions), or the
    /// entry id as text.
    pub target: String,
    pub result: Result<Done, Refusal>,
}

/// Per-target outcomes, in the order of the targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub results: Vec<TargetOutcome>,
    /// How the actor and the one other person stand once the action is applied, read
    /// in the action's own transaction: an action on one known person, or on a request
    /// the actor is a party to. `None` for several people, an unknown or malformed id,
    /// and personal contacts. Its `mutual_connections` is not counted (0).
    pub standing: Option<Relationship>,
}

impl Outcome {
    pub(crate) fn one(target: impl Into<String>, result: Result<Done, Refusal>) -> Self {
        Self {
            results: vec![TargetOutcome {
                target: target.into(),
                result,
            }],
            standing: None,
        }
    }

    pub(crate) fn with_standing(self, standing: Option<Relationship>) -> Self {
        Self { standing, ..self }
    }

    /// The single result of a one-target action (or the first of a bulk one).
    pub fn first(&self) -> Result<Done, Refusal> {
        self.results
            .first()
            .map(|t| t.result)
            .unwrap_or(Err(Refusal::NoTarget))
    }

    /// True when every target succeeded.
    pub fn all_ok(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|t| t.result.is_ok())
    }
}
