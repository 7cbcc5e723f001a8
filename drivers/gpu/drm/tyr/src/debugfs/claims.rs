// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The frames the checker has seen claimed, one owner each: a bit per frame of RAM's address space to find a second
//! claim in one test-and-set, and the claims in order to name the first owner when there is one. The checker runs
//! after every step of a fuzz campaign, so a claim must cost a few instructions, not a hash and a probe.

use kernel::page::{PhysAddr, FRAME_SIZE};

use super::check::{CheckError, Owner};

/// Frames claimed so far.
///
/// # Invariants
/// A frame of RAM's address space has its bit in `bits` set exactly when a claim in `claims` names it; a frame
/// outside that space is only in `claims`.
pub(super) struct FrameClaims {
    bits: Vec<u64>,
    claims: Vec<(PhysAddr, Owner)>,
}

/// The frame number of `pa`.
fn frame(pa: PhysAddr) -> u64 {
    pa / FRAME_SIZE
}

impl FrameClaims {
    /// No claims, over an address space of `space` bytes (RAM's size).
    pub(super) fn new(space: u64) -> Self {
        let words = frame(space).div_ceil(64);
        FrameClaims {
            bits: vec![0; usize::try_from(words).unwrap_or(0)],
            claims: Vec::new(),
        }
    }

    /// Records `owner` as the owner of the frame holding `pa`; [`CheckError::SharedFrame`] (nothing recorded) if it
    /// already has one.
    pub(super) fn claim(&mut self, pa: PhysAddr, owner: Owner) -> Result<(), CheckError> {
        let f = frame(pa);
        let word = usize::try_from(f / 64)
            .ok()
            .and_then(|w| self.bits.get_mut(w));
        let taken = match word {
            Some(word) => {
                let bit = 1u64 << (f % 64);
                let taken = *word & bit != 0;
                *word |= bit;
                taken
            }
            // Outside RAM (the check that every owned frame is allocated reports it): compared one by one.
            None => self.owner(pa).is_some(),
        };
        if taken {
            let first = self.owner(pa).unwrap_or(owner);
            return Err(CheckError::SharedFrame {
                pa,
                first,
                second: owner,
            });
        }
        // INVARIANT: the bit (if any) was set above for this claim.
        self.claims.push((pa, owner));
        Ok(())
    }

    /// Frames claimed.
    pub(super) fn len(&self) -> usize {
        self.claims.len()
    }

    /// The claims, in the order they were made.
    pub(super) fn iter(&self) -> impl Iterator<Item = (PhysAddr, Owner)> + '_ {
        self.claims.iter().copied()
    }

    /// The owner of the frame holding `pa`, if claimed.
    pub(super) fn owner(&self, pa: PhysAddr) -> Option<Owner> {
        self.claims
            .iter()
            .find(|&&(p, _)| frame(p) == frame(pa))
            .map(|&(_, o)| o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_a_frame_names_both_owners_and_is_not_recorded() {
        let mut c = FrameClaims::new(1 << 20);
        c.claim(0x3000, Owner::Bo(1)).unwrap();
        c.claim(0x4000, Owner::Bo(1)).unwrap();
        let second = Owner::Dummy { file: 0, vm: 2 };
        assert_eq!(
            c.claim(0x3008, second),
            Err(CheckError::SharedFrame {
                pa: 0x3008,
                first: Owner::Bo(1),
                second,
            }),
            "any address in the frame is the frame"
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c.owner(0x4fff), Some(Owner::Bo(1)));
        assert_eq!(c.owner(0x5000), None);
    }

    #[test]
    fn frames_outside_the_space_are_claimed_and_compared_too() {
        let mut c = FrameClaims::new(0x10000);
        c.claim(0xffff_f000, Owner::Bo(7)).unwrap();
        c.claim(0xf000, Owner::Bo(8)).unwrap();
        assert!(matches!(
            c.claim(0xffff_f000, Owner::Bo(9)),
            Err(CheckError::SharedFrame {
                first: Owner::Bo(7),
                ..
            })
        ));
        assert_eq!(
            c.iter().collect::<Vec<_>>(),
            [(0xffff_f000, Owner::Bo(7)), (0xf000, Owner::Bo(8))]
        );
    }
}
