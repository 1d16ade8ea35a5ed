//! The media task against real loopback sockets: bridge, players, whisper, latching, cut.

use super::*;

async fn pair() -> ([UdpSocket; 2], [std::net::UdpSocket; 2]) {
    let rtcp = || std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    (
        [
            UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        ],
        [rtcp(), rtcp()],
    )
}

#[tokio::test]
async fn bridge_transcodes_rewrites_and_relays_dtmf() {
    let (rtp, rtcp) = pair().await;
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let media = Media::start(rtp, rtcp, notes_tx, Duration::from_secs(30)).unwrap();
    let member = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let merchant = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    media.set_remote(
        Leg::A,
        MediaAnswer {
            rtp: member.local_addr().unwrap(),
            codec: Codec::Pcma,
            telephone_event: Some(96),
            direction: Default::default(),
        },
    );
    media.set_remote(
        Leg::B,
        MediaAnswer {
            rtp: merchant.local_addr().unwrap(),
            codec: Codec::Pcmu,
            telephone_event: Some(101),
            direction: Default::default(),
        },
    );
    media.bridge();
    let mut pkt = Vec::new();
    // Member sends PCMA silence; merchant must get PCMU silence with our SSRC.
    rtp::build(&mut pkt, false, 8, 10, 800, 0x1111, &[0xD5; 160]);
    member
        .send_to(&pkt, media.local_addr(Leg::A))
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let (n, from) = merchant.recv_from(&mut buf).await.unwrap();
    assert_eq!(from, media.local_addr(Leg::B));
    let got = rtp::parse(&buf[..n]).unwrap();
    assert_eq!(got.payload_type, 0);
    assert_ne!(got.ssrc, 0x1111);
    assert!(got
        .payload
        .iter()
        .all(|&b| crate::g711::ulaw_to_linear(b).abs() <= 8));
    // Member's telephone-event 96 end packet: digit noted, relayed as 101.
    rtp::build(&mut pkt, false, 96, 11, 960, 0x1111, &[5, 0x8A, 0, 160]);
    member
        .send_to(&pkt, media.local_addr(Leg::A))
        .await
        .unwrap();
    let (n, _) = merchant.recv_from(&mut buf).await.unwrap();
    assert_eq!(rtp::parse(&buf[..n]).unwrap().payload_type, 101);
    assert_eq!(notes.recv().await, Some(MediaNote::Dtmf(Leg::A, '5')));
    // Merchant answers from its socket: goes back to the member's latched source as PCMA.
    rtp::build(&mut pkt, false, 0, 1, 1, 0x2222, &[0xFF; 160]);
    merchant
        .send_to(&pkt, media.local_addr(Leg::B))
        .await
        .unwrap();
    let (n, _) = member.recv_from(&mut buf).await.unwrap();
    assert_eq!(rtp::parse(&buf[..n]).unwrap().payload_type, 8);
    let s = media.stats();
    assert_eq!((s.a_to_b, s.b_to_a), (2, 1));
}

#[tokio::test]
async fn player_sends_clips_then_reports_done() {
    let (rtp, rtcp) = pair().await;
    let (notes_tx, _notes) = mpsc::unbounded_channel();
    let media = Media::start(rtp, rtcp, notes_tx, Duration::from_secs(30)).unwrap();
    let member = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    media.set_remote(
        Leg::A,
        MediaAnswer {
            rtp: member.local_addr().unwrap(),
            codec: Codec::Pcmu,
            telephone_event: None,
            direction: Default::default(),
        },
    );
    static CLIP: [u8; 400] = [0x7F; 400];
    let (done_tx, done) = oneshot::channel();
    media.play(Play {
        leg: Leg::A,
        clips: vec![&CLIP],
        loop_last: false,
        done: Some(done_tx),
    });
    tokio::time::timeout(Duration::from_secs(2), done)
        .await
        .unwrap()
        .unwrap();
    let mut buf = [0u8; 512];
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let (n, _) = member.recv_from(&mut buf).await.unwrap();
        seqs.push(rtp::parse(&buf[..n]).unwrap().seq);
    }
    assert_eq!(seqs[1], seqs[0].wrapping_add(1));
    assert_eq!(media.stats().played_to_a, 3);
}

/// A bridged media task with PCMU on both legs; returns it with the member's and merchant's
/// sockets.
async fn bridged_pcmu() -> (Media, UdpSocket, UdpSocket) {
    let (rtp, rtcp) = pair().await;
    let (notes_tx, notes) = mpsc::unbounded_channel();
    std::mem::forget(notes);
    let media = Media::start(rtp, rtcp, notes_tx, Duration::from_secs(30)).unwrap();
    let member = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let merchant = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for (leg, peer) in [(Leg::A, &member), (Leg::B, &merchant)] {
        media.set_remote(
            leg,
            MediaAnswer {
                rtp: peer.local_addr().unwrap(),
                codec: Codec::Pcmu,
                telephone_event: None,
                direction: Default::default(),
            },
        );
    }
    media.bridge();
    (media, member, merchant)
}

fn audio(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut pkt = Vec::new();
    rtp::build(
        &mut pkt,
        false,
        0,
        seq,
        u32::from(seq) * 160,
        0x3333,
        payload,
    );
    pkt
}

/// The next RTP payload `sock` receives within 300 ms, skipping nothing.
async fn next_payload(sock: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = [0u8; 512];
    let (n, _) = tokio::time::timeout(Duration::from_millis(300), sock.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    Some(rtp::parse(&buf[..n])?.payload.to_vec())
}

#[tokio::test]
async fn rtp_from_an_address_not_in_the_sdp_is_dropped_and_counted() {
    // covers #8 §5 media latching: RTP bleed from a stranger never reaches the merchant
    let (media, member, merchant) = bridged_pcmu().await;
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for seq in 0..5 {
        stranger
            .send_to(&audio(seq, &[0x11; 160]), media.local_addr(Leg::A))
            .await
            .unwrap();
    }
    assert_eq!(
        next_payload(&merchant).await,
        None,
        "stranger's RTP was bridged"
    );
    // The real member, at its SDP address, still gets through; the stranger did not latch.
    member
        .send_to(&audio(9, &[0x22; 160]), media.local_addr(Leg::A))
        .await
        .unwrap();
    assert_eq!(next_payload(&merchant).await, Some(vec![0x22; 160]));
    let s = media.stats();
    assert_eq!((s.dropped_foreign, s.a_to_b), (5, 1), "{s:?}");
}

#[tokio::test]
async fn whisper_mixes_into_the_payer_only_and_keeps_the_speech() {
    // covers #8 §5 prompts: the credit warning is mixed into the payer's side, the other party
    // hears the payer's audio unchanged
    let (media, member, merchant) = bridged_pcmu().await;
    let speech = crate::g711::linear_to_ulaw(-4000);
    media.whisper(Leg::A, crate::prompts::credit_warning_tone());
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Merchant speaks: the member (payer) hears speech plus tone, neither silence nor tone alone.
    merchant
        .send_to(&audio(1, &[speech; 160]), media.local_addr(Leg::B))
        .await
        .unwrap();
    let heard = loop {
        // Skip any whisper-only frames sent before the speech arrived (each is 160 samples: 28
        // whole periods of the 1400 Hz tone, so the tone stays in phase with `tone[i]` below).
        let p = next_payload(&member)
            .await
            .expect("member hears the merchant");
        if p.iter().any(|&b| crate::g711::ulaw_to_linear(b) < -2500) {
            break p;
        }
    };
    assert_ne!(
        heard,
        vec![speech; 160],
        "the tone is not in the member's audio"
    );
    let tone = crate::prompts::credit_warning_tone();
    for (i, &b) in heard.iter().enumerate().skip(1).take(40) {
        let got = i32::from(crate::g711::ulaw_to_linear(b));
        let want = -4000 + i32::from(crate::g711::ulaw_to_linear(tone[i]));
        assert!(
            (got - want).abs() < 300,
            "sample {i}: {got} vs about {want}"
        );
    }
    // Member speaks during the warning: the merchant gets the payload byte for byte.
    member
        .send_to(&audio(2, &[0x33; 160]), media.local_addr(Leg::A))
        .await
        .unwrap();
    assert_eq!(next_payload(&merchant).await, Some(vec![0x33; 160]));
    assert_eq!(
        next_payload(&merchant).await,
        None,
        "the merchant got extra audio"
    );
}

#[tokio::test]
async fn nothing_crosses_the_bridge_once_cut() {
    // covers #8 §5 hang-up billing: after the hang-up neither side hears the other
    let (media, member, merchant) = bridged_pcmu().await;
    member
        .send_to(&audio(1, &[0x44; 160]), media.local_addr(Leg::A))
        .await
        .unwrap();
    assert!(next_payload(&merchant).await.is_some());
    media.cut();
    tokio::time::sleep(Duration::from_millis(20)).await;
    for seq in 2..6 {
        member
            .send_to(&audio(seq, &[0x44; 160]), media.local_addr(Leg::A))
            .await
            .unwrap();
        merchant
            .send_to(&audio(seq, &[0x55; 160]), media.local_addr(Leg::B))
            .await
            .unwrap();
    }
    assert_eq!(next_payload(&merchant).await, None);
    assert_eq!(next_payload(&member).await, None);
    let s = media.stats();
    assert_eq!((s.a_to_b, s.b_to_a), (1, 0), "{s:?}");
}
