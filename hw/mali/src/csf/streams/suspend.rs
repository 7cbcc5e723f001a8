// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! The suspend buffer: what a suspended group's streams save, and how a resumed group restores them.

use super::*;

fn save_words(s: &Stream) -> Vec<u32> {
    let m = &s.machine;
    let mut w = vec![SAVE_MAGIC];
    w.extend_from_slice(&m.regs);
    let push64 = |w: &mut Vec<u32>, v: u64| w.extend_from_slice(&[v as u32, (v >> 32) as u32]);
    push64(&mut w, m.pos);
    w.push(m.frames.len() as u32);
    for k in 0..MAX_FRAMES - 1 {
        let f = m.frames.get(k).copied().unwrap_or_default();
        push64(&mut w, f.start);
        push64(&mut w, f.ip);
        push64(&mut w, f.end);
    }
    w.extend_from_slice(&m.sb);
    w.extend_from_slice(&[
        u32::from(m.sb_endpoint),
        u32::from(m.sb_other),
        u32::from(m.error),
    ]);
    push64(&mut w, m.heap_ctx);
    w.extend_from_slice(&m.heap_counts);
    w.push(u32::from(m.req_resource));
    push64(&mut w, m.progress);
    push64(&mut w, m.oom_handler.0);
    w.push(m.oom_handler.1);
    push64(&mut w, m.runs);
    w.push(match s.halt {
        Halt::None => 0,
        Halt::Fault => 1,
        Halt::Fatal => 2,
        Halt::Oom => 3,
    });
    w
}

fn load_words(w: &[u32]) -> Option<(Machine, Halt)> {
    let mut it = w.iter().copied();
    let mut next = || it.next();
    if next()? != SAVE_MAGIC {
        return None;
    }
    let mut m = Machine::default();
    for r in m.regs.iter_mut() {
        *r = next()?;
    }
    let next64 = |n: &mut dyn FnMut() -> Option<u32>| Some(u64::from(n()?) | u64::from(n()?) << 32);
    m.pos = next64(&mut next)?;
    let depth = next()? as usize;
    for k in 0..MAX_FRAMES - 1 {
        let f = Frame {
            start: next64(&mut next)?,
            ip: next64(&mut next)?,
            end: next64(&mut next)?,
        };
        if k < depth {
            m.frames.push(f);
        }
    }
    for e in m.sb.iter_mut() {
        *e = next()?;
    }
    let sel = |v: u32| (v as usize % SB_COUNT) as u8;
    m.sb_endpoint = sel(next()?);
    m.sb_other = sel(next()?);
    m.error = next()? != 0;
    m.heap_ctx = next64(&mut next)?;
    for c in m.heap_counts.iter_mut() {
        *c = next()?;
    }
    m.req_resource = next()? as u8;
    m.progress = next64(&mut next)?;
    m.oom_handler = (next64(&mut next)?, next()?);
    m.runs = next64(&mut next)?;
    let halt = match next()? {
        0 => Halt::None,
        1 => Halt::Fault,
        3 => Halt::Oom,
        _ => Halt::Fatal,
    };
    Some((m, halt))
}

pub(super) fn save(st: &mut State, i: u32) -> Result<(), PortError> {
    let buf = st.mcu.exec.groups[i as usize].latched.suspend_buf;
    for j in 0..STREAMS {
        let words = save_words(&st.mcu.exec.groups[i as usize].streams[j]);
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let va = buf + j as u64 * SAVE_STRIDE;
        st.access(0, va, bytes.len(), AccessType::Write, |ram, pa, r| {
            ram.write(pa, &bytes[r])
        })?;
    }
    Ok(())
}

/// Restores each CS from the suspend buffer; a record that is not the model's (never saved, or overwritten) leaves a
/// fresh stream.
pub(super) fn restore(st: &mut State, i: u32) -> Result<(), PortError> {
    let buf = st.mcu.exec.groups[i as usize].latched.suspend_buf;
    for j in 0..STREAMS {
        let mut bytes = vec![0u8; SAVE_STRIDE as usize];
        let va = buf + j as u64 * SAVE_STRIDE;
        st.access(0, va, bytes.len(), AccessType::Read, |ram, pa, r| {
            ram.read(pa, &mut bytes[r])
        })?;
        let words: Vec<u32> = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let s = &mut st.mcu.exec.groups[i as usize].streams[j];
        *s = Stream::default();
        if let Some((m, halt)) = load_words(&words) {
            s.machine = m;
            s.halt = halt;
        }
    }
    Ok(())
}
