//! The logging channel over real TCP on 127.0.0.1: round trips, wrong keys, garbage, and a
//! man in the middle that alters, replays, reorders, drops and delays frames.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use ft::channel::{self, ChannelError, HandshakeError, Key, Receiver, Sender, MAX_MESSAGE};

const TIMEOUT: Duration = Duration::from_secs(10);
const PREAMBLE: &[u8] = b"vmft logging channel v1\n";

type Halves = (Sender, Receiver);

/// Opens a channel between a connecting side holding `a` and an accepting side holding `b`.
fn open(a: &Key, b: &Key) -> (Result<Halves, ChannelError>, Result<Halves, ChannelError>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let b = b.clone();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        channel::accept(stream, &b, TIMEOUT)
    });
    let client = channel::connect(TcpStream::connect(addr).expect("connect"), a, TIMEOUT);
    (client, server.join().expect("server thread"))
}

fn open_ok() -> (Halves, Halves) {
    let key = Key::generate().expect("key");
    let (client, server) = open(&key, &key);
    (client.expect("connect"), server.expect("accept"))
}

/// A message whose bytes depend on a seed and their position.
fn message(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

const SIZES: &[usize] = &[
    0,
    1,
    100,
    65_515,
    65_516,
    65_519,
    65_520,
    200_000,
    3 << 20,
    (5 << 20) + 7,
];

/// Sends every size from one thread while another receives, both ways at once.
#[test]
fn round_trip_small_and_large_messages_both_ways_at_once() {
    let ((c_tx, c_rx), (s_tx, s_rx)) = open_ok();
    let send = |mut tx: Sender, seed: u64| {
        thread::spawn(move || {
            for (i, &len) in SIZES.iter().enumerate() {
                tx.send(&message(seed + i as u64, len)).expect("send");
            }
            tx
        })
    };
    let recv = |mut rx: Receiver, seed: u64| {
        thread::spawn(move || {
            for (i, &len) in SIZES.iter().enumerate() {
                let got = rx.recv().expect("recv");
                assert_eq!(got.len(), len, "message {i}");
                assert!(got == message(seed + i as u64, len), "message {i} differs");
            }
            rx
        })
    };
    let threads = [send(c_tx, 100), send(s_tx, 200)];
    let receivers = [recv(s_rx, 100), recv(c_rx, 200)];
    let mut senders: Vec<Sender> = threads
        .into_iter()
        .map(|t| t.join().expect("sender"))
        .collect();
    let mut receivers: Vec<Receiver> = receivers
        .into_iter()
        .map(|t| t.join().expect("receiver"))
        .collect();

    // A clean shutdown after the messages: both receivers see Closed, and stay closed.
    senders[0].shutdown().expect("shutdown");
    for rx in &mut receivers {
        assert!(matches!(rx.recv(), Err(ChannelError::Closed)));
        assert!(matches!(rx.recv(), Err(ChannelError::Closed)));
    }
    assert!(matches!(
        senders[0].send(b"late"),
        Err(ChannelError::Closed)
    ));
}

#[test]
fn a_message_over_the_limit_is_refused_and_the_sender_goes_on() {
    let ((mut tx, _), (_, mut rx)) = open_ok();
    let err = tx.send(&vec![0; MAX_MESSAGE + 1]).expect_err("too large");
    assert!(matches!(err, ChannelError::MessageTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("67108864"), "{err}");
    tx.send(b"still here").expect("send");
    assert_eq!(rx.recv().expect("recv"), b"still here");
}

#[test]
fn read_timeout_keeps_the_connection() {
    let ((mut tx, _), (_, mut rx)) = open_ok();
    rx.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let t0 = Instant::now();
    assert!(matches!(rx.recv(), Err(ChannelError::Timeout)));
    assert!(t0.elapsed() < Duration::from_secs(5));
    tx.send(b"after the silence").expect("send");
    rx.set_read_timeout(None).expect("no timeout");
    assert_eq!(rx.recv().expect("recv"), b"after the silence");
}

fn assert_key_mismatch(result: Result<Halves, ChannelError>) {
    match result {
        Err(ChannelError::Handshake(HandshakeError::KeyMismatch)) => {}
        Err(e) => panic!("expected a key mismatch, got: {e}"),
        Ok(_) => panic!("a wrong key was accepted"),
    }
}

#[test]
fn wrong_key_is_refused_at_both_ends() {
    let (client, server) = open(
        &Key::generate().expect("key"),
        &Key::generate().expect("key"),
    );
    let message = client
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert_eq!(
        message,
        "logging channel handshake failed: authentication failed: the peer holds another key"
    );
    assert_key_mismatch(client);
    assert_key_mismatch(server);
}

/// Runs `peer` on a raw socket against an accepting channel; returns accept's result.
fn accept_from(peer: impl FnOnce(TcpStream) + Send + 'static) -> Result<Halves, ChannelError> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let peer = thread::spawn(move || peer(TcpStream::connect(addr).expect("connect")));
    let (stream, _) = listener.accept().expect("accept");
    let result = channel::accept(
        stream,
        &Key::generate().expect("key"),
        Duration::from_secs(2),
    );
    peer.join().expect("peer");
    result
}

/// Runs `peer` on a raw socket against a connecting channel; returns connect's result.
fn connect_to(
    timeout: Duration,
    peer: impl FnOnce(TcpStream) + Send + 'static,
) -> Result<Halves, ChannelError> {
    timed_connect_to(timeout, peer).0
}

/// [`connect_to`], also returning how long `channel::connect` took.
fn timed_connect_to(
    timeout: Duration,
    peer: impl FnOnce(TcpStream) + Send + 'static,
) -> (Result<Halves, ChannelError>, Duration) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let peer = thread::spawn(move || peer(listener.accept().expect("accept").0));
    let stream = TcpStream::connect(addr).expect("connect");
    let key = Key::generate().expect("key");
    let t0 = Instant::now();
    let result = channel::connect(stream, &key, timeout);
    let took = t0.elapsed();
    peer.join().expect("peer");
    (result, took)
}

fn handshake_error(result: Result<Halves, ChannelError>) -> HandshakeError {
    match result {
        Err(ChannelError::Handshake(e)) => e,
        Err(e) => panic!("expected a handshake error, got: {e}"),
        Ok(_) => panic!("the handshake succeeded"),
    }
}

#[test]
fn garbage_before_the_handshake_is_refused() {
    let http = |mut s: TcpStream| {
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: backup\r\n\r\n");
        let _ = s.read(&mut [0; 64]);
    };
    assert!(matches!(
        handshake_error(accept_from(http)),
        HandshakeError::WrongProtocol
    ));

    let short = |mut s: TcpStream| {
        let _ = s.write_all(&PREAMBLE[..5]);
    };
    assert!(matches!(
        handshake_error(accept_from(short)),
        HandshakeError::Closed
    ));

    let huge = |mut s: TcpStream| {
        let _ = s.write_all(&[PREAMBLE, &u32::MAX.to_be_bytes()].concat());
        let _ = s.read(&mut [0; 64]);
    };
    let err = handshake_error(accept_from(huge));
    assert!(matches!(err, HandshakeError::Malformed(_)), "{err}");

    // A forged first message fails authentication; the forger is told, in clear.
    let forged = |mut s: TcpStream| {
        let _ = s.write_all(&[PREAMBLE, &48u32.to_be_bytes(), &message(7, 48)].concat());
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        assert_eq!(reply, [PREAMBLE, &[0, 0, 0, 0]].concat());
    };
    assert!(matches!(
        handshake_error(accept_from(forged)),
        HandshakeError::KeyMismatch
    ));

    // (The fake server reads the whole hello first: closing a socket with unread bytes
    // resets the connection, and the reset could overtake the banner.)
    let ssh = |mut s: TcpStream| {
        let _ = s.read_exact(&mut [0; 24 + 4 + 48]);
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.6 Debian-4\r\n");
        let _ = s.read_to_end(&mut Vec::new());
    };
    let err = handshake_error(connect_to(TIMEOUT, ssh));
    assert!(matches!(err, HandshakeError::WrongProtocol), "{err}");

    let hang_up = |s: TcpStream| drop(s);
    let err = handshake_error(connect_to(TIMEOUT, hang_up));
    assert!(matches!(err, HandshakeError::Closed), "{err}");
}

#[test]
fn a_silent_peer_times_the_handshake_out() {
    let silent = |mut s: TcpStream| {
        // Swallow the initiator's hello, answer nothing, wait for it to give up.
        let _ = s.read_to_end(&mut Vec::new());
    };
    let (result, took) = timed_connect_to(Duration::from_millis(200), silent);
    let err = handshake_error(result);
    assert!(matches!(err, HandshakeError::Timeout(_)), "{err}");
    assert!(took < Duration::from_millis(1000), "{took:?}");

    // A peer that dribbles one byte at a time cannot stretch the handshake past its bound.
    let dribble = |mut s: TcpStream| {
        for &b in PREAMBLE {
            if s.write_all(&[b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
    };
    let (result, took) = timed_connect_to(Duration::from_millis(300), dribble);
    let err = handshake_error(result);
    assert!(matches!(err, HandshakeError::Timeout(_)), "{err}");
    assert!(took < Duration::from_millis(1000), "{took:?}");
}

/// A man in the middle between a connecting channel and an accepting one. It relays the
/// handshake and the server's bytes unchanged, and hands each frame the client sends after the
/// handshake (header and body, numbered from 0) to `tamper`, which writes what it likes to the
/// server. When the client closes, the proxy closes the server side for writing.
fn proxy(
    server: SocketAddr,
    mut tamper: impl FnMut(usize, Vec<u8>, &mut TcpStream) -> io::Result<()> + Send + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || -> io::Result<()> {
        let (mut client, _) = listener.accept()?;
        let mut upstream = TcpStream::connect(server)?;
        let (mut down_from, mut down_to) = (upstream.try_clone()?, client.try_clone()?);
        thread::spawn(move || {
            let _ = io::copy(&mut down_from, &mut down_to);
            let _ = down_to.shutdown(Shutdown::Write);
        });
        let read_frame = |client: &mut TcpStream| -> io::Result<Vec<u8>> {
            let mut frame = vec![0; 4];
            client.read_exact(&mut frame)?;
            let len = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
            frame.resize(4 + len, 0);
            client.read_exact(&mut frame[4..])?;
            Ok(frame)
        };
        let mut hello = vec![0; PREAMBLE.len()];
        client.read_exact(&mut hello)?;
        hello.extend(read_frame(&mut client)?);
        upstream.write_all(&hello)?;
        let mut i = 0;
        while let Ok(frame) = read_frame(&mut client) {
            tamper(i, frame, &mut upstream)?;
            i += 1;
        }
        upstream.shutdown(Shutdown::Write)
    });
    addr
}

/// Opens a channel through a tampering proxy; returns the client's sender and the server's
/// receiver.
fn open_through(
    tamper: impl FnMut(usize, Vec<u8>, &mut TcpStream) -> io::Result<()> + Send + 'static,
) -> (Sender, Receiver) {
    let key = Key::generate().expect("key");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let via = proxy(listener.local_addr().expect("addr"), tamper);
    let server_key = key.clone();
    let server = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        channel::accept(stream, &server_key, TIMEOUT)
    });
    let (tx, _) =
        channel::connect(TcpStream::connect(via).expect("connect"), &key, TIMEOUT).expect("client");
    let (_, rx) = server.join().expect("server").expect("server");
    (tx, rx)
}

/// Sends three one-frame messages through `tamper`; the server gets the first intact and then
/// `Tampered`, and the connection is over.
fn assert_tampered_after_first(
    tamper: impl FnMut(usize, Vec<u8>, &mut TcpStream) -> io::Result<()> + Send + 'static,
) {
    let (mut tx, mut rx) = open_through(tamper);
    for i in 0..3 {
        tx.send(&message(i, 1000)).expect("send");
    }
    assert_eq!(rx.recv().expect("first message"), message(0, 1000));
    match rx.recv() {
        Err(ChannelError::Tampered(_)) => {}
        Err(e) => panic!("expected Tampered, got: {e}"),
        Ok(m) => panic!("a tampered stream delivered a {}-byte message", m.len()),
    }
    assert!(matches!(rx.recv(), Err(ChannelError::Closed)));
}

#[test]
fn a_flipped_ciphertext_byte_is_tampering() {
    assert_tampered_after_first(|i, mut frame, up| {
        if i == 1 {
            frame[4 + 100] ^= 0x01;
        }
        up.write_all(&frame)
    });
}

#[test]
fn a_replayed_frame_is_tampering() {
    assert_tampered_after_first(|i, frame, up| {
        up.write_all(&frame)?;
        if i == 0 {
            up.write_all(&frame)?;
        }
        Ok(())
    });
}

#[test]
fn reordered_frames_are_tampering() {
    let mut held = None;
    assert_tampered_after_first(move |i, frame, up| match i {
        1 => {
            held = Some(frame);
            Ok(())
        }
        2 => {
            up.write_all(&frame)?;
            up.write_all(&held.take().unwrap_or_default())
        }
        _ => up.write_all(&frame),
    });
}

#[test]
fn a_dropped_frame_is_tampering() {
    assert_tampered_after_first(|i, frame, up| if i == 1 { Ok(()) } else { up.write_all(&frame) });
}

#[test]
fn a_replayed_fragment_inside_a_large_message_is_tampering() {
    let (mut tx, mut rx) = open_through(|i, frame, up| {
        up.write_all(&frame)?;
        if i == 2 {
            up.write_all(&frame)?;
        }
        Ok(())
    });
    tx.send(&message(1, 1 << 20)).expect("send");
    assert!(matches!(rx.recv(), Err(ChannelError::Tampered(_))));
}

#[test]
fn garbage_after_the_handshake_is_tampering() {
    for seed in 0..8 {
        let (mut tx, mut rx) =
            open_through(move |_, frame, up| up.write_all(&message(seed, frame.len())));
        tx.send(&message(99, 5000)).expect("send");
        let err = rx.recv().expect_err("garbage delivered");
        assert!(
            matches!(err, ChannelError::Tampered(_)),
            "seed {seed}: {err}"
        );
    }

    // A length far beyond a frame's is refused before anything is allocated for it.
    let (mut tx, mut rx) = open_through(|_, _, up| up.write_all(&[0xff; 64]));
    tx.send(b"x").expect("send");
    let err = rx.recv().expect_err("huge length");
    assert!(err.to_string().contains("4294967295 bytes"), "{err}");
}

#[test]
fn a_truncated_frame_is_an_unexpected_eof() {
    let (mut tx, mut rx) = open_through(|_, frame, up| {
        up.write_all(&frame[..frame.len() / 2])?;
        up.shutdown(Shutdown::Write)
    });
    tx.send(&message(3, 2000)).expect("send");
    match rx.recv() {
        Err(ChannelError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
        other => panic!(
            "expected an unexpected EOF, got {:?}",
            other.map(|m| m.len())
        ),
    }
}

#[test]
fn a_frame_split_by_a_timeout_is_reassembled() {
    let (mut tx, mut rx) = open_through(|_, frame, up| {
        for part in frame.chunks(frame.len() / 3 + 1) {
            up.write_all(part)?;
            thread::sleep(Duration::from_millis(120));
        }
        Ok(())
    });
    rx.set_read_timeout(Some(Duration::from_millis(30)))
        .expect("timeout");
    let sent = message(5, 150_000);
    tx.send(&sent).expect("send");
    let mut timeouts = 0;
    let got = loop {
        match rx.recv() {
            Ok(m) => break m,
            Err(ChannelError::Timeout) => timeouts += 1,
            Err(e) => panic!("{e}"),
        }
    };
    assert!(got == sent, "the reassembled message differs");
    assert!(timeouts >= 3, "{timeouts} timeouts");
}

#[test]
fn the_wire_carries_no_plaintext() {
    let secret = b"guest frame: GET /private HTTP/1.1".repeat(30);
    let needle = secret[..16].to_vec();
    let (mut tx, mut rx) = open_through(move |_, frame, up| {
        assert!(
            !frame.windows(needle.len()).any(|w| w == needle),
            "plaintext on the wire"
        );
        up.write_all(&frame)
    });
    tx.send(&secret).expect("send");
    assert_eq!(rx.recv().expect("recv"), secret);
}
