//! A room's versioned member list: accounts and their devices.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use ember_proto::v1 as proto;

use crate::error::{DecodeError, RoomError};
use crate::ids::{AccountId, DeviceAddress, DeviceId};
use crate::limits::{MAX_DEVICES_PER_MEMBER, MAX_ROOM_MEMBERS};
use crate::wire;

/// The member accounts of a room and the devices of each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberList {
    accounts: BTreeMap<AccountId, BTreeSet<DeviceId>>,
}

impl MemberList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account with its devices (or adds devices to a member), within the bounds.
    pub fn insert(
        &mut self,
        account: AccountId,
        devices: impl IntoIterator<Item = DeviceId>,
    ) -> Result<(), RoomError> {
        let mut next = self.accounts.get(&account).cloned().unwrap_or_default();
        next.extend(devices);
        if next.len() > MAX_DEVICES_PER_MEMBER {
            return Err(RoomError::TooManyDevices {
                got: next.len(),
                max: MAX_DEVICES_PER_MEMBER,
            });
        }
        if !self.accounts.contains_key(&account) && self.accounts.len() == MAX_ROOM_MEMBERS {
            return Err(RoomError::TooManyMembers {
                got: MAX_ROOM_MEMBERS + 1,
                max: MAX_ROOM_MEMBERS,
            });
        }
        self.accounts.insert(account, next);
        Ok(())
    }

    /// Removes an account and all its devices.
    pub fn remove_account(&mut self, account: &AccountId) -> bool {
        self.accounts.remove(account).is_some()
    }

    /// Removes one device; the account stays a member while it has devices left.
    pub fn remove_device(&mut self, device: &DeviceAddress) -> bool {
        let Some(devices) = self.accounts.get_mut(&device.account) else {
            return false;
        };
        let removed = devices.remove(&device.device);
        if devices.is_empty() {
            self.accounts.remove(&device.account);
        }
        removed
    }

    /// Whether the device is a member device.
    pub fn contains(&self, device: &DeviceAddress) -> bool {
        self.accounts
            .get(&device.account)
            .is_some_and(|devices| devices.contains(&device.device))
    }

    /// Whether the account is a member.
    pub fn contains_account(&self, account: &AccountId) -> bool {
        self.accounts.contains_key(account)
    }

    /// The number of member accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Every member device, in order.
    pub fn devices(&self) -> impl Iterator<Item = DeviceAddress> + '_ {
        self.accounts.iter().flat_map(|(account, devices)| {
            devices.iter().map(|device| DeviceAddress {
                account: *account,
                device: *device,
            })
        })
    }

    /// The member accounts, in order.
    pub fn accounts(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.accounts.keys().copied()
    }

    pub(crate) fn to_wire(&self) -> Vec<proto::RoomMember> {
        self.accounts
            .iter()
            .map(|(account, devices)| proto::RoomMember {
                account_id: account.as_bytes().to_vec(),
                device_ids: devices.iter().map(|device| device.0).collect(),
            })
            .collect()
    }

    pub(crate) fn from_wire(members: &[proto::RoomMember]) -> Result<Self, RoomError> {
        if members.len() > MAX_ROOM_MEMBERS {
            return Err(RoomError::TooManyMembers {
                got: members.len(),
                max: MAX_ROOM_MEMBERS,
            });
        }
        let mut list = Self::new();
        for member in members {
            if member.device_ids.len() > MAX_DEVICES_PER_MEMBER {
                return Err(RoomError::TooManyDevices {
                    got: member.device_ids.len(),
                    max: MAX_DEVICES_PER_MEMBER,
                });
            }
            let account = AccountId::from_bytes(wire::array("account_id", &member.account_id)?);
            if member.device_ids.is_empty() || list.contains_account(&account) {
                return Err(DecodeError::OutOfRange("members").into());
            }
            list.insert(account, member.device_ids.iter().map(|&id| DeviceId(id)))?;
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(byte: u8) -> AccountId {
        AccountId::from_bytes([byte; 16])
    }

    #[test]
    fn bounds_are_enforced() {
        let mut list = MemberList::new();
        for i in 0..MAX_ROOM_MEMBERS {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_be_bytes());
            list.insert(AccountId::from_bytes(id), [DeviceId(1)])
                .unwrap();
        }
        assert!(matches!(
            list.insert(account(0xff), [DeviceId(1)]),
            Err(RoomError::TooManyMembers { .. })
        ));
        let mut small = MemberList::new();
        let too_many = (0..=MAX_DEVICES_PER_MEMBER as u32).map(DeviceId);
        assert!(matches!(
            small.insert(account(1), too_many),
            Err(RoomError::TooManyDevices { .. })
        ));
        assert_eq!(small, MemberList::new());
    }

    #[test]
    fn removing_the_last_device_removes_the_account() {
        let mut list = MemberList::new();
        list.insert(account(1), [DeviceId(1), DeviceId(2)]).unwrap();
        let first = DeviceAddress {
            account: account(1),
            device: DeviceId(1),
        };
        let second = DeviceAddress {
            device: DeviceId(2),
            ..first
        };
        assert!(list.remove_device(&first));
        assert!(list.contains_account(&account(1)));
        assert!(list.remove_device(&second));
        assert!(!list.contains_account(&account(1)));
        assert_eq!(MemberList::from_wire(&list.to_wire()), Ok(list));
    }
}
