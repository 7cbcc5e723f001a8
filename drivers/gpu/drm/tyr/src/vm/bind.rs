//! VM_BIND ops: the uAPI-level checks of `panthor-uapi.md` §7.4–7.5, in Panthor's order, turning each op into a
//! [`PreparedOp`](super::PreparedOp).
