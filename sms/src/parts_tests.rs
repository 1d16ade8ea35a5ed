//! Unit tests for encoding choice and splitting boundaries.

use super::*;

fn reassemble_gsm7(parts: &[Part]) -> String {
    let mut septets = Vec::new();
    for part in parts {
        let body = if part.esm_class == ESM_CLASS_UDHI {
            &part.short_message[CONCAT_UDH_LEN..]
        } else {
            &part.short_message[..]
        };
        septets.extend_from_slice(body);
    }
    gsm7::decode(&septets)
}

fn reassemble_ucs2(parts: &[Part]) -> String {
    let mut units = Vec::new();
    for part in parts {
        let body = if part.esm_class == ESM_CLASS_UDHI {
            &part.short_message[CONCAT_UDH_LEN..]
        } else {
            &part.short_message[..]
        };
        assert_eq!(body.len() % 2, 0, "UCS-2 parts hold whole code units");
        units.extend(body.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])));
    }
    String::from_utf16(&units).expect("no split surrogate pair")
}

#[test]
fn short_code_is_one_gsm_part() {
    // covers CALL-3: a verification code goes out as one plain GSM-7 submit_sm
    let encoded = encode_text("Ringlink code 482913", 7, false, 10).expect("encodes");
    assert_eq!(encoded.encoding, Encoding::Gsm7);
    assert_eq!(encoded.parts.len(), 1);
    assert_eq!(encoded.parts[0].esm_class, ESM_CLASS_DEFAULT);
    assert_eq!(
        encoded.parts[0].short_message,
        b"Ringlink code 482913".to_vec()
    );
}

#[test]
fn chinese_is_ucs2_big_endian() {
    // covers INBOX-5: a Chinese temporary-password SMS goes out as UCS-2, big-endian
    let encoded = encode_text("验证码 4829", 1, false, 10).expect("encodes");
    assert_eq!(encoded.encoding, Encoding::Ucs2);
    assert_eq!(encoded.encoding.data_coding(), 8);
    assert_eq!(
        encoded.parts[0].short_message[..6],
        [0x9A, 0x8C, 0x8B, 0xC1, 0x78, 0x01]
    );
    assert_eq!(reassemble_ucs2(&encoded.parts), "验证码 4829");
}

#[test]
fn gsm7_boundaries() {
    assert_eq!(split_gsm7(&"a".repeat(160)).expect("gsm").len(), 1);
    let two = split_gsm7(&"a".repeat(161)).expect("gsm");
    assert_eq!(two.iter().map(Vec::len).collect::<Vec<_>>(), vec![153, 8]);
    assert_eq!(split_gsm7(&"a".repeat(306)).expect("gsm").len(), 2);
    assert_eq!(split_gsm7(&"a".repeat(307)).expect("gsm").len(), 3);
    // 80 euro signs are 160 septets: still one message.
    assert_eq!(split_gsm7(&"€".repeat(80)).expect("gsm").len(), 1);
}

#[test]
fn gsm7_escape_pair_is_never_split() {
    // covers PAY-9: a long payment result with a euro sign never breaks an escape pair
    // 152 plain septets, then '€' (2 septets) would end at 154: it moves whole to part 2.
    let text = format!("{}€{}", "a".repeat(152), "b".repeat(20));
    let chunks = split_gsm7(&text).expect("gsm");
    assert_eq!(chunks[0].len(), 152);
    assert_eq!(chunks[1][..2], [gsm7::ESCAPE, 0x65]);
    for chunk in &chunks {
        assert_ne!(
            chunk.last(),
            Some(&gsm7::ESCAPE),
            "no chunk ends on a lone ESC"
        );
    }
    let encoded = encode_text(&text, 9, false, 10).expect("encodes");
    assert_eq!(reassemble_gsm7(&encoded.parts), text);
}

#[test]
fn ucs2_boundaries() {
    assert_eq!(split_ucs2(&"中".repeat(70)).len(), 1);
    let two = split_ucs2(&"中".repeat(71));
    assert_eq!(two.iter().map(Vec::len).collect::<Vec<_>>(), vec![67, 4]);
    assert_eq!(split_ucs2(&"中".repeat(134)).len(), 2);
    assert_eq!(split_ucs2(&"中".repeat(135)).len(), 3);
}

#[test]
fn ucs2_surrogate_pair_is_never_split() {
    // covers PAY-9: a long result with an emoji never breaks a surrogate pair
    // 66 units, then an emoji (2 units) would end at 68: it moves whole to part 2.
    let text = format!("{}😀{}", "中".repeat(66), "文".repeat(10));
    let chunks = split_ucs2(&text);
    assert_eq!(chunks[0].len(), 66);
    assert_eq!(chunks[1].len(), 12);
    let encoded = encode_text(&text, 3, false, 10).expect("encodes");
    assert_eq!(reassemble_ucs2(&encoded.parts), text);
    // 35 emoji are 70 units: one message.
    assert_eq!(split_ucs2(&"😀".repeat(35)).len(), 1);
}

#[test]
fn concatenated_parts_carry_the_udh() {
    // covers INBOX-5: a long temporary-password message reassembles on the handset
    let text = "x".repeat(400);
    let encoded = encode_text(&text, 0xAB, false, 10).expect("encodes");
    assert_eq!(encoded.parts.len(), 3);
    for (i, part) in encoded.parts.iter().enumerate() {
        assert_eq!(part.esm_class, ESM_CLASS_UDHI);
        let seq = u8::try_from(i + 1).expect("small");
        assert_eq!(part.short_message[..6], [0x05, 0x00, 0x03, 0xAB, 3, seq]);
    }
    assert_eq!(encoded.parts[0].short_message.len(), 6 + 153);
    assert_eq!(reassemble_gsm7(&encoded.parts), text);
}

#[test]
fn packed_gsm7_fits_140_octets() {
    let single = encode_text(&"a".repeat(160), 0, true, 10).expect("encodes");
    assert_eq!(single.parts[0].short_message.len(), 140);
    let long = encode_text(&"a".repeat(200), 0, true, 10).expect("encodes");
    assert_eq!(long.parts[0].short_message.len(), 140);
    let body = &long.parts[0].short_message[CONCAT_UDH_LEN..];
    assert_eq!(gsm7::unpack(body, 1, 153), vec![0x61; 153]);
    // 7 septets leave 7 spare bits: they carry CR, not '@'.
    let seven = encode_text("abcdefg", 0, true, 10).expect("encodes");
    assert_eq!(gsm7::unpack(&seven.parts[0].short_message, 0, 8)[7], 0x0D);
}

#[test]
fn limits_are_enforced() {
    assert_eq!(encode_text("", 0, false, 10), Err(SmsError::EmptyText));
    assert_eq!(
        encode_text(&"a".repeat(153 * 3 + 1), 0, false, 3),
        Err(SmsError::TooLong { parts: 4, max: 3 })
    );
    assert!(encode_text(&"a".repeat(153 * 3), 0, false, 3).is_ok());
}
