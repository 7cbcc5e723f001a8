// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! Requests from the host to the streams: a CSG's STATE (start, resume, suspend, terminate) with the latching of its
//! configuration and endpoints, a CS's STATE level and start, and the doorbells that make streams look at their
//! rings.

use super::*;

/// CSG `i`'s STATE request changed to `state` (`Documentation/hardware.md#csg-and-cs-interfaces`).
pub(crate) fn csg_state(st: &mut State, i: u32, state: u32) -> Result<(), PortError> {
    let (input, _) = csg_iface(i);
    let g = i as usize;
    match state {
        csg::STATE_START | csg::STATE_RESUME => {
            latch_config(st, i)?;
            latch_endpoint(st, i)?;
            let buf = st.mcu.exec.groups[g].latched.suspend_buf;
            if state == csg::STATE_START {
                st.mcu.exec.groups[g].streams = vec![Stream::default(); STREAMS];
            } else if buf != 0 && restore(st, i).is_err() {
                // An unreadable suspend buffer: the streams start afresh (the MMU fault is on record in AS 0).
                st.mcu.exec.groups[g].streams = vec![Stream::default(); STREAMS];
            }
            st.mcu.exec.groups[g].latched.running = true;
            st.mcu.exec.groups[g].busy = false;
            for j in 0..values::STREAM_NUM {
                cs_level(st, i, j)?;
            }
        }
        csg::STATE_SUSPEND => {
            if st.mcu.exec.groups[g].latched.running {
                publish_csg_status(st, i)?;
                let buf = rd64(st, input + csg::SUSPEND_BUF)?;
                st.mcu.exec.groups[g].latched.suspend_buf = buf;
                // A suspend buffer the MCU cannot write loses the streams' state, as on silicon. Without one
                // (`suspend_buf` 0, never the case with Panthor) the slot keeps the state itself [model].
                if buf != 0 {
                    let _ = save(st, i);
                }
            }
            let grp = &mut st.mcu.exec.groups[g];
            grp.latched.running = false;
            for s in &mut grp.streams {
                s.started = false;
            }
        }
        _ => {
            // TERMINATE (and undefined values): the slot's streams are discarded.
            let latched = st.mcu.exec.groups[g].latched;
            st.mcu.exec.groups[g] = Group::default();
            st.mcu.exec.groups[g].latched = CsgLatched {
                running: false,
                ..latched
            };
        }
    }
    st.mcu.exec.groups[g].latched.state = state;
    kick(st);
    Ok(())
}

fn latch_config(st: &mut State, i: u32) -> Result<(), PortError> {
    let (input, _) = csg_iface(i);
    let as_nr = rd(st, input + csg::CONFIG)?;
    let allow = [
        rd64(st, input + csg::ALLOW_COMPUTE)?,
        rd64(st, input + csg::ALLOW_FRAGMENT)?,
        u64::from(rd(st, input + csg::ALLOW_OTHER)?),
    ];
    let suspend_buf = rd64(st, input + csg::SUSPEND_BUF)?;
    let l = &mut st.mcu.exec.groups[i as usize].latched;
    l.as_nr = as_nr;
    l.allow = allow;
    l.suspend_buf = suspend_buf;
    Ok(())
}

/// ENDPOINT_CONFIG (and START/RESUME): latch `endpoint_req` and its priority.
pub(crate) fn latch_endpoint(st: &mut State, i: u32) -> Result<(), PortError> {
    let (input, _) = csg_iface(i);
    let ep = rd(st, input + csg::ENDPOINT_REQ)?;
    let l = &mut st.mcu.exec.groups[i as usize].latched;
    l.endpoint_req = ep;
    l.priority = CsgEndpointReq(ep).priority();
    Ok(())
}

/// CSG `i`'s doorbell bit for CS `j` was toggled: follow the CS's STATE level, resume it after an acknowledged FAULT
/// or TILER_OOM, and look for new ring contents.
pub(crate) fn cs_doorbell_bit(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    cs_level(st, i, j)?;
    let (cin, cout) = cs_iface(i, j);
    let req = rd(st, cin + cs::REQ)?;
    let ack = rd(st, cout + cs::ACK)?;
    let s = &mut st.mcu.exec.groups[i as usize].streams[j as usize];
    match s.halt {
        Halt::Fault if (req ^ ack) & CsReq::FAULT.0 == 0 => s.halt = Halt::None,
        Halt::Oom if (req ^ ack) & CsReq::TILER_OOM.0 == 0 => s.halt = Halt::None,
        _ => {}
    }
    if s.run == Run::Empty {
        s.run = Run::Ready;
    }
    st.mcu.exec.epoch += 1;
    kick(st);
    Ok(())
}

/// Starts or stops CS `j` to match its `req` STATE level (only inside a running group). The level, not an ack
/// difference, decides: Panthor writes STOP without a doorbell when it evicts a group, and START again when it
/// re-binds it.
fn cs_level(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    let (cin, _) = cs_iface(i, j);
    let want = rd(st, cin + cs::REQ)? & CsReq::STATE.0 == cs::STATE_START;
    let g = &st.mcu.exec.groups[i as usize];
    let started = g.streams[j as usize].started;
    if want && !started && g.latched.running {
        start_cs(st, i, j)?;
    } else if !want && started {
        st.mcu.exec.groups[i as usize].streams[j as usize].started = false;
    }
    Ok(())
}

/// CS START (`Documentation/hardware.md#csg-and-cs-interfaces`): latch the ring and user-I/O pages, take `extract` from the input page (\[kbase\]
/// EXTRACT_INIT) unless the stream is inside a called buffer (a resumed stream keeps its position).
fn start_cs(st: &mut State, i: u32, j: u32) -> Result<(), PortError> {
    let (cin, _) = cs_iface(i, j);
    let base = rd64(st, cin + cs::RINGBUF_BASE)?;
    let size = u64::from(rd(st, cin + cs::RINGBUF_SIZE)?);
    let input_va = rd64(st, cin + cs::RINGBUF_INPUT)?;
    let output_va = rd64(st, cin + cs::RINGBUF_OUTPUT)?;
    let config = rd(st, cin + cs::CONFIG)?;
    {
        let s = &mut st.mcu.exec.groups[i as usize].streams[j as usize];
        s.started = true;
        s.run = Run::Ready;
        // A START re-programs the CS: an earlier FATAL no longer holds it (a FAULT or TILER_OOM restored from the
        // suspend buffer still waits for its acknowledgement).
        if s.halt == Halt::Fatal {
            s.halt = Halt::None;
        }
        s.ring = Ring {
            base,
            size,
            insert: 0,
        };
        s.input_va = input_va;
        s.output_va = output_va;
        s.doorbell = CsConfig(config).doorbell();
    }
    let valid = size.is_power_of_two()
        && size >= 8
        && base % 8 == 0
        && input_va % 8 == 0
        && output_va % 8 == 0;
    if !valid || input_va == 0 || output_va == 0 {
        return config_fault(st, i, j);
    }
    let at_ring = st.mcu.exec.groups[i as usize].streams[j as usize]
        .machine
        .frames
        .is_empty();
    if at_ring {
        match rd64(st, input_va + 8) {
            Ok(extract) => {
                st.mcu.exec.groups[i as usize].streams[j as usize]
                    .machine
                    .pos = extract
            }
            Err(_) => return config_fault(st, i, j),
        }
    }
    let pos = st.mcu.exec.groups[i as usize].streams[j as usize]
        .machine
        .pos;
    if wr64(st, output_va, pos).is_err() {
        return config_fault(st, i, j);
    }
    kick(st);
    Ok(())
}

/// Doorbell `k` ≥ 1: every started CS whose `config` names it re-reads `insert`; sync waits are re-evaluated (the host
/// may have written a sync object).
pub(crate) fn doorbell(st: &mut State, k: u32) {
    for g in &mut st.mcu.exec.groups {
        if !g.latched.running {
            continue;
        }
        for s in &mut g.streams {
            if s.started && s.doorbell == k && s.run == Run::Empty {
                s.run = Run::Ready;
            }
        }
    }
    st.mcu.exec.epoch += 1;
    kick(st);
}
