//! Ringlink telephony: the SIP back-to-back agent that places CALL's two legs, anchors and
//! bridges their RTP, plays prompts and decodes DTMF, behind the `CallControl` trait.
