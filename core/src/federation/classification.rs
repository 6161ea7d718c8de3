//! The classification marker of a conversation that crosses the government/commercial
//! boundary.
//!
//! A conversation is marked [`Classification::Unclassified`] for everyone in it while it has
//! participants on both sides of the boundary: at least one of a government network and at
//! least one outside it. The marker tells government users that what they write reaches people
//! outside the boundary; it goes away when the last participant outside leaves (or the last
//! government participant does). A conversation entirely on one side carries no marker
//! ([`Classification::Unspecified`]): among commercial networks alone there is no boundary to
//! warn about, and a marker that every commercial conversation carried would teach users to
//! ignore it.

use alloc::collections::BTreeMap;

use super::{Boundary, ClassificationError};
use crate::content::Classification;
use crate::ids::AccountId;
use crate::limits::MAX_ROOM_MEMBERS;
use crate::network::NetworkId;

/// Most participants a [`ConversationClassification`] tracks besides the local one: the
/// largest room.
pub const MAX_CONVERSATION_PARTICIPANTS: usize = MAX_ROOM_MEMBERS;

/// The marker of a conversation between the local participant, on side `our`, and
/// participants on the sides given.
pub fn conversation_classification(
    participants: impl IntoIterator<Item = Boundary>,
    our: Boundary,
) -> Classification {
    if participants.into_iter().any(|boundary| boundary != our) {
        Classification::Unclassified
    } else {
        Classification::Unspecified
    }
}

/// How a conversation's marker changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerChange {
    /// The conversation now crosses the boundary: mark it unclassified for everyone.
    Appeared,
    /// It no longer does: the marker goes away.
    Disappeared,
}

/// The participants of one conversation and their sides of the boundary, reporting when the
/// marker appears or disappears as they join and leave.
///
/// ```
/// use ember_core::AccountId;
/// use ember_core::content::Classification;
/// use ember_core::federation::{Boundary, ConversationClassification, MarkerChange};
/// use ember_core::network::NetworkId;
///
/// let mut room = ConversationClassification::new(Boundary::Government);
/// let contractor = (NetworkId([2; 16]), AccountId::from_bytes([7; 16]));
/// assert_eq!(room.join(contractor.0, contractor.1, Boundary::Commercial), Ok(Some(MarkerChange::Appeared)));
/// assert_eq!(room.classification(), Classification::Unclassified);
/// assert_eq!(room.leave(contractor.0, contractor.1), Some(MarkerChange::Disappeared));
/// assert_eq!(room.classification(), Classification::Unspecified);
/// ```
#[derive(Clone, Debug)]
pub struct ConversationClassification {
    participants: BTreeMap<(NetworkId, AccountId), Boundary>,
    government: usize,
    commercial: usize,
}

impl ConversationClassification {
    /// A conversation of the local participant alone, on side `our`.
    pub const fn new(our: Boundary) -> Self {
        let (government, commercial) = match our {
            Boundary::Government => (1, 0),
            Boundary::Commercial => (0, 1),
        };
        Self {
            participants: BTreeMap::new(),
            government,
            commercial,
        }
    }

    /// The conversation's marker now.
    pub const fn classification(&self) -> Classification {
        if self.government > 0 && self.commercial > 0 {
            Classification::Unclassified
        } else {
            Classification::Unspecified
        }
    }

    /// How many participants are tracked, besides the local one.
    pub fn len(&self) -> usize {
        self.participants.len()
    }

    /// Whether the local participant is alone.
    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// A participant joins, or one already in moves to `boundary` (its network changed sides).
    /// Returns how the marker changed, if it did.
    pub fn join(
        &mut self,
        network: NetworkId,
        account: AccountId,
        boundary: Boundary,
    ) -> Result<Option<MarkerChange>, ClassificationError> {
        let before = self.classification();
        let key = (network, account);
        if !self.participants.contains_key(&key)
            && self.participants.len() >= MAX_CONVERSATION_PARTICIPANTS
        {
            return Err(ClassificationError::TooManyParticipants {
                max: MAX_CONVERSATION_PARTICIPANTS,
            });
        }
        if let Some(previous) = self.participants.insert(key, boundary) {
            self.uncount(previous);
        }
        self.count(boundary);
        Ok(self.change_from(before))
    }

    /// A participant leaves. Returns how the marker changed, if it did (nothing changes for
    /// one that was not in).
    pub fn leave(&mut self, network: NetworkId, account: AccountId) -> Option<MarkerChange> {
        let before = self.classification();
        let boundary = self.participants.remove(&(network, account))?;
        self.uncount(boundary);
        self.change_from(before)
    }

    fn count(&mut self, boundary: Boundary) {
        match boundary {
            Boundary::Government => self.government += 1,
            Boundary::Commercial => self.commercial += 1,
        }
    }

    fn uncount(&mut self, boundary: Boundary) {
        match boundary {
            Boundary::Government => self.government = self.government.saturating_sub(1),
            Boundary::Commercial => self.commercial = self.commercial.saturating_sub(1),
        }
    }

    fn change_from(&self, before: Classification) -> Option<MarkerChange> {
        match (before, self.classification()) {
            (Classification::Unspecified, Classification::Unclassified) => {
                Some(MarkerChange::Appeared)
            }
            (Classification::Unclassified, Classification::Unspecified) => {
                Some(MarkerChange::Disappeared)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_only_conversations_that_cross() {
        use Boundary::{Commercial, Government};
        let cases = [
            (&[][..], Government, Classification::Unspecified),
            (
                &[Government, Government][..],
                Government,
                Classification::Unspecified,
            ),
            (&[Commercial][..], Commercial, Classification::Unspecified),
            (&[Commercial][..], Government, Classification::Unclassified),
            (&[Government][..], Commercial, Classification::Unclassified),
            (
                &[Government, Commercial][..],
                Government,
                Classification::Unclassified,
            ),
        ];
        for (participants, our, expected) in cases {
            assert_eq!(
                conversation_classification(participants.iter().copied(), our),
                expected,
                "{participants:?} with {our:?}"
            );
        }
    }

    #[test]
    fn a_full_conversation_refuses_newcomers_but_not_moves() {
        let mut conversation = ConversationClassification::new(Boundary::Commercial);
        for i in 0..MAX_CONVERSATION_PARTICIPANTS as u32 {
            let mut id = [0; 16];
            id[..4].copy_from_slice(&i.to_be_bytes());
            conversation
                .join(
                    NetworkId([1; 16]),
                    AccountId::from_bytes(id),
                    Boundary::Commercial,
                )
                .unwrap();
        }
        assert_eq!(
            conversation.join(
                NetworkId([1; 16]),
                AccountId::from_bytes([0xff; 16]),
                Boundary::Commercial
            ),
            Err(ClassificationError::TooManyParticipants {
                max: MAX_CONVERSATION_PARTICIPANTS
            })
        );
        assert_eq!(
            conversation.join(
                NetworkId([1; 16]),
                AccountId::from_bytes([0; 16]),
                Boundary::Government
            ),
            Ok(Some(MarkerChange::Appeared))
        );
        assert_eq!(conversation.len(), MAX_CONVERSATION_PARTICIPANTS);
    }
}
