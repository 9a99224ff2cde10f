//! Whole-machine tests: bare-metal programs run on the hart against the board's devices.

use super::*;
use crate::clint::INSTRUCTIONS_PER_TICK;
use crate::syscon::PowerRequest;
use crate::test_asm::*;
use rv64::persist::Persist;

const RAM: u64 = 0x10_0000;
const TOHOST: u64 = RAM_BASE + 0x1000;
const FROMHOST: u64 = TOHOST + 0x40;

fn machine(words: &[u32]) -> Machine {
    let program = Program::parse(&assemble(words)).unwrap();
    Machine::new(MachineConfig { ram_size: RAM }, program).unwrap()
}

fn htif_machine(words: &[u32]) -> Machine {
    let program = Program::parse(&assemble(words))
        .unwrap()
        .with_htif(TOHOST, FROMHOST);
    Machine::new(MachineConfig { ram_size: RAM }, program).unwrap()
}

/// Runs until an exit other than the end of a slice.
fn run_to_exit(m: &mut Machine, max_position: u64) -> RunExit {
    loop {
        match m.run(max_position) {
            RunExit::Slice => continue,
            exit => return exit,
        }
    }
}

/// Writes `value` (< 0x8000_0000, low 12 bits < 0x800) to the finisher.
fn finisher(value: u32) -> [u32; 5] {
    [
        lui(T0, 0x100),
        lui(T1, value >> 12),
        addi(T1, T1, (value & 0xfff) as i32),
        sw(T1, T0, 0),
        j(0),
    ]
}

fn putc(byte: u8) -> [u32; 3] {
    [
        lui(T0, 0x10000),
        addi(T1, ZERO, i32::from(byte)),
        sb(T1, T0, 0),
    ]
}

#[test]
fn uart_output_then_syscon_pass_powers_off() {
    let mut program = Vec::new();
    program.extend(putc(b'h'));
    program.extend(putc(b'i'));
    program.extend(finisher(0x5555));
    let mut m = machine(&program);
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Poweroff);
    assert_eq!(m.take_output(), b"hi");
    assert!(m.take_output().is_empty());
}

#[test]
fn syscon_fail_reports_code_and_stays_halted() {
    let mut m = machine(&finisher((7 << 16) | 0x3333));
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Fail(7));
    let position = m.position();
    assert_eq!(m.run(u64::MAX), RunExit::Fail(7));
    assert_eq!(m.position(), position);
}

/// Sets a flag one page past its start (after 7 instructions), prints `x` and resets; fails
/// if it finds the flag set, i.e. if a reset did not reload RAM.
fn flag_then_reset() -> Vec<u32> {
    let mut program = vec![
        auipc(T2, 0),
        lui(T3, 1),
        add(T2, T2, T3),
        ld(T4, T2, 0),
        bne(T4, ZERO, 4 * 11), // to the failure below: RAM was not reloaded
        addi(T4, ZERO, 1),
        sd(T4, T2, 0),
    ];
    program.extend(putc(b'x'));
    program.extend(finisher(0x7777));
    program.extend(finisher((9 << 16) | 0x3333));
    program
}

#[test]
fn syscon_reset_reloads_the_program_and_keeps_counting_positions() {
    let mut m = machine(&flag_then_reset());
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Reset);
    let first = m.position();
    assert_eq!(m.hart().pc(), RAM_BASE);
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Reset);
    assert_eq!(m.position(), 2 * first);
    assert_eq!(m.take_output(), b"xx");
}

#[test]
fn a_page_a_reset_clears_counts_as_changed_at_the_next_checkpoint() {
    let mut m = machine(&flag_then_reset());
    assert_eq!(m.run(7), RunExit::Limit);
    let flag = m.checkpoint().changed_pages;
    assert!(
        flag.iter()
            .any(|&(page, hash)| page == 1 && hash != [0; 16]),
        "{flag:?}"
    );
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Reset);
    let cleared = m.checkpoint().changed_pages;
    assert_eq!(cleared, [(1, [0; 16])]);
}

#[test]
fn htif_exit_code_one_is_pass() {
    let mut m = htif_machine(&[
        auipc(T0, 0),
        lui(T1, 1),
        add(T0, T0, T1),
        addi(T1, ZERO, 1),
        sd(T1, T0, 0),
        j(0),
    ]);
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Poweroff);
}

#[test]
fn htif_odd_exit_code_fails_with_test_number() {
    let mut m = htif_machine(&[
        auipc(T0, 0),
        lui(T1, 1),
        add(T0, T0, T1),
        addi(T1, ZERO, 7),
        sd(T1, T0, 0),
        j(0),
    ]);
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Fail(3));
}

#[test]
fn htif_console_putchar_is_answered_through_fromhost() {
    let mut m = htif_machine(&[
        auipc(T0, 0),
        lui(T1, 1),
        add(T0, T0, T1),
        addi(T1, ZERO, 0x101),
        slli(T1, T1, 48),
        addi(T1, T1, i32::from(b'A')),
        sd(T1, T0, 0),
        ld(T2, T0, 0x40),
        beq(T2, ZERO, -4),
        addi(T1, ZERO, 1),
        sd(T1, T0, 0),
        j(0),
    ]);
    assert_eq!(run_to_exit(&mut m, u64::MAX), RunExit::Poweroff);
    assert_eq!(m.take_output(), b"A");
}

#[test]
fn run_stops_exactly_at_max_position() {
    let mut m = machine(&[j(0)]);
    assert_eq!(m.run(1000), RunExit::Limit);
    assert_eq!(m.position(), 1000);
    assert_eq!(m.run(1000), RunExit::Limit);
    assert_eq!(m.position(), 1000);
}

#[test]
fn slices_end_at_multiples_of_the_slice_length() {
    let mut m = machine(&[j(0)]);
    assert_eq!(m.run(u64::MAX), RunExit::Slice);
    assert_eq!(m.position(), SLICE_INSTRUCTIONS);
    assert_eq!(m.run(SLICE_INSTRUCTIONS + 5), RunExit::Limit);
    assert_eq!(m.run(u64::MAX), RunExit::Slice);
    assert_eq!(m.position(), 2 * SLICE_INSTRUCTIONS);
}

#[test]
fn wfi_with_no_timer_armed_reports_idle() {
    let mut m = machine(&[wfi(), j(-4)]);
    assert_eq!(m.run(u64::MAX), RunExit::Idle { wake_in: None });
    assert!(m.position() < 10);
}

/// Arms the timer `ticks` ahead of the current `mtime` (left in T1), with T0 = &mtimecmp and
/// T2 = &mtime.
fn arm_timer(ticks: u32) -> [u32; 7] {
    [
        lui(T0, 0x2004),
        lui(T2, 0x200c),
        addi(T2, T2, -8),
        ld(T1, T2, 0),
        lui(T3, ticks >> 12),
        add(T1, T1, T3),
        sd(T1, T0, 0),
    ]
}

#[test]
fn wfi_with_timer_armed_reports_the_ticks_to_its_deadline_and_a_time_skip_wakes_it() {
    let mut program = arm_timer(0x10_0000).to_vec();
    program.extend([
        addi(T3, ZERO, 0x80),
        csrrs(ZERO, MIE, T3),
        wfi(),
        ld(T4, T2, 0),
        bltu(T4, T1, 4 * 6),
    ]);
    program.extend(finisher(0x5555));
    program.extend(finisher((1 << 16) | 0x3333));
    let mut m = machine(&program);
    let RunExit::Idle {
        wake_in: Some(ticks),
    } = m.run(u64::MAX)
    else {
        panic!("expected an idle hart with an armed timer");
    };
    assert!(ticks > 0x10_0000 - 0x10 && ticks <= 0x10_0000, "{ticks}");
    let position = m.position();
    m.inject(InputEvent::TimeSkip(ticks - 1));
    assert_eq!(
        m.run(u64::MAX),
        RunExit::Idle { wake_in: Some(1) },
        "one tick short of the deadline the hart stays asleep"
    );
    m.inject(InputEvent::TimeSkip(1));
    assert_eq!(m.run(u64::MAX), RunExit::Poweroff);
    assert!(
        m.position() < position + 10,
        "time was skipped, not executed: position {}",
        m.position()
    );
}

#[test]
fn wfi_with_timer_armed_but_mtie_clear_reports_idle_without_skipping_time() {
    let mut program = arm_timer(0x10_0000).to_vec();
    program.extend([wfi(), j(-4)]);
    let mut m = machine(&program);
    assert_eq!(m.run(u64::MAX), RunExit::Idle { wake_in: None });
    assert!(m.board.clint.mtime(m.hart.position()) < 0x10);
}

#[test]
fn timer_interrupt_is_taken_when_mtime_reaches_mtimecmp() {
    let handler = 15 * 4;
    let program = [
        auipc(T0, 0),
        addi(T0, T0, handler),
        csrrw(ZERO, MTVEC, T0),
        lui(T0, 0x2004),
        lui(T2, 0x200c),
        addi(T2, T2, -8),
        ld(T1, T2, 0),
        addi(T1, T1, 100),
        sd(T1, T0, 0),
        addi(T3, ZERO, 0x80),
        csrrs(ZERO, MIE, T3),
        addi(T3, ZERO, 8),
        csrrs(ZERO, MSTATUS, T3),
        addi(A0, A0, 1),
        j(-4),
    ];
    let mut program = program.to_vec();
    program.extend(finisher(0x5555));
    let mut m = machine(&program);
    assert_eq!(m.run(u64::MAX), RunExit::Poweroff);
    // mtime was read as 0 at position 6, so MTIP rises at position 100 ticks later.
    let deadline = 100 * INSTRUCTIONS_PER_TICK;
    assert!(
        m.position() > deadline && m.position() <= deadline + 8,
        "position {}",
        m.position()
    );
}

fn echo_program() -> Vec<u32> {
    vec![
        lui(T0, 0x10000),
        lbu(T1, T0, 5),
        andi(T1, T1, 1),
        beq(T1, ZERO, -8),
        lbu(T1, T0, 0),
        sb(T1, T0, 0),
        j(-20),
    ]
}

#[test]
fn injected_console_bytes_reach_the_uart_receiver() {
    let mut m = machine(&echo_program());
    assert_eq!(m.run(u64::MAX), RunExit::Slice);
    m.inject(InputEvent::ConsoleBytes(b"ping".to_vec()));
    assert_eq!(m.console_backlog(), 4);
    assert_eq!(m.run(u64::MAX), RunExit::Slice);
    assert_eq!(m.take_output(), b"ping");
    assert_eq!(m.console_backlog(), 0);
}

#[test]
fn same_inputs_at_same_positions_give_the_same_execution() {
    let trace = || {
        let mut m = machine(&echo_program());
        let mut trace = Vec::new();
        for i in 0..8u8 {
            let exit = m.run(u64::MAX);
            if i % 3 == 0 {
                m.inject(InputEvent::ConsoleBytes(vec![b'a' + i; usize::from(i) + 1]));
            }
            trace.push((exit, m.position(), m.hart().pc(), m.take_output()));
        }
        trace
    };
    let first = trace();
    assert_eq!(first, trace());
    let output: Vec<u8> = first.iter().flat_map(|t| t.3.clone()).collect();
    assert_eq!(output, b"addddggggggg");
}

/// Polls the UART's LSR `polls` times (THRE is always set), then powers off.
fn lsr_polling(polls: i32) -> Vec<u32> {
    let mut program = vec![
        lui(T0, 0x10000),
        addi(T2, ZERO, polls),
        lbu(T1, T0, 5),
        andi(T1, T1, 0x20),
        beq(T1, ZERO, -8),
        addi(T2, T2, -1),
        bne(T2, ZERO, -16),
    ];
    program.extend(finisher(0x5555));
    program
}

/// One call of the hart's run, as [`Machine::run`] makes it (without the slice bound).
fn hart_call(m: &mut Machine, stop: u64) -> Exit {
    m.board.attend_every_access = m.htif.is_some();
    m.update_interrupt_lines();
    m.hart.run(&mut m.mem, &mut m.board, stop)
}

#[test]
fn uart_lsr_reads_do_not_end_the_harts_run_call_but_a_finisher_write_does() {
    let mut m = machine(&lsr_polling(1000));
    assert_eq!(hart_call(&mut m, 100_000), Exit::Device);
    // 2 + 5 per poll, then the finisher's lui, lui, addi and the sw.
    assert_eq!(m.hart.position(), 2 + 5 * 1000 + 4);
    assert_eq!(m.board.take_power_request(), Some(PowerRequest::Poweroff));
}

#[test]
fn with_an_htif_every_device_access_ends_the_harts_run_call() {
    let mut m = htif_machine(&lsr_polling(1000));
    assert_eq!(hart_call(&mut m, 100_000), Exit::Device);
    assert_eq!(m.hart.position(), 3);
}

/// Echoes console input from the UART's interrupt (through the PLIC to MEIP) while the main
/// loop polls LSR and counts in A0. The UART interrupts for received data and for THR empty;
/// the handler claims, reads IIR (which clears THR empty), reads RBR while LSR.DR is set,
/// echoes each byte to THR (which sets THR empty again) and completes. S1 adds up `mip` + 1
/// as read after each claim.
fn interrupt_echo_program() -> Vec<u32> {
    let handler = 22;
    vec![
        auipc(T0, 0),
        addi(T0, T0, handler * 4),
        csrrw(ZERO, MTVEC, T0),
        lui(T0, 0x10000),
        addi(T1, ZERO, 3),
        sb(T1, T0, 1), // IER: received data available, THR empty
        lui(T2, 0xc000),
        addi(T1, ZERO, 1),
        sw(T1, T2, 4 * crate::board::UART_IRQ as i32), // its PLIC priority
        lui(T3, 0xc002),
        addi(T1, ZERO, 1 << crate::board::UART_IRQ),
        sw(T1, T3, 0), // enabled for context 0 (M-mode)
        addi(T3, ZERO, 1),
        slli(T3, T3, 11),
        csrrs(ZERO, MIE, T3),
        addi(T3, ZERO, 8),
        csrrs(ZERO, MSTATUS, T3),
        // 17: the main loop
        lbu(T1, T0, 5),
        andi(T1, T1, 0x20),
        beq(T1, ZERO, -8),
        addi(A0, A0, 1),
        j(-16),
        // 22: the handler
        lui(T4, 0xc200),
        lw(T3, T4, 4), // claim
        csrrs(T5, MIP, ZERO),
        addi(T5, T5, 1),
        add(S1, S1, T5),
        lbu(T2, T0, 2), // IIR
        lbu(T2, T0, 5),
        andi(T2, T2, 1),
        beq(T2, ZERO, 16),
        lbu(T2, T0, 0),
        sb(T2, T0, 0),
        j(-20),
        sw(T3, T4, 4), // complete
        mret(),
    ]
}

/// Runs `m` for `slices` calls of [`Machine::run`], injecting console input after some, and
/// returns what each call did.
fn echo_trace(m: &mut Machine, slices: u8) -> Vec<(RunExit, u64, u64, Vec<u8>)> {
    let mut trace = Vec::new();
    for i in 0..slices {
        let exit = m.run(u64::MAX);
        if i % 3 == 1 {
            m.inject(InputEvent::ConsoleBytes(vec![
                b'a' + i;
                usize::from(i % 4) + 1
            ]));
        }
        trace.push((exit, m.position(), m.hart().pc(), m.take_output()));
    }
    trace
}

#[test]
fn going_on_after_quiet_device_accesses_is_indistinguishable_from_ending_the_call() {
    // With an HTIF (never used here) every device access ends the hart's run call; without,
    // only those that need the board. Interrupts, outputs and state must not tell them apart.
    let program = interrupt_echo_program();
    let mut quiet = machine(&program);
    let mut every = htif_machine(&program);
    let trace = echo_trace(&mut quiet, 12);
    assert_eq!(trace, echo_trace(&mut every, 12));
    let output: Vec<u8> = trace.iter().flat_map(|t| t.3.clone()).collect();
    assert_eq!(output, b"bbehhhhkkk");
    let registers = |m: &Machine| (0..32).map(|r| m.hart().x(r)).collect::<Vec<_>>();
    assert_eq!(registers(&quiet), registers(&every));
    assert!(quiet.hart().x(A0 as usize) > 100_000);
    assert_ne!(quiet.hart().x(S1 as usize), 0, "the handler ran");
    for csr in [
        rv64::csr::MEPC,
        rv64::csr::MCAUSE,
        rv64::csr::MSTATUS,
        rv64::csr::MIP,
    ] {
        assert_eq!(quiet.hart().csr(csr), every.hart().csr(csr));
    }
    assert_eq!(quiet.board.save(), every.board.save());
}

#[test]
fn program_larger_than_ram_is_rejected() {
    let program = Program::parse(&vec![0x13; RAM as usize + 4]).unwrap();
    let err = Machine::new(MachineConfig { ram_size: RAM }, program)
        .err()
        .unwrap();
    assert!(
        matches!(err, MachineError::Load(LoadError::DoesNotFit { .. })),
        "{err}"
    );
}

#[test]
fn invalid_ram_size_is_rejected() {
    let program = Program::parse(&[0x13, 0, 0, 0]).unwrap();
    let err = Machine::new(MachineConfig { ram_size: 1000 }, program)
        .err()
        .unwrap();
    assert!(matches!(err, MachineError::Memory(_)), "{err}");
}
