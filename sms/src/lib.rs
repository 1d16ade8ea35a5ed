//! Ringlink SMS: the `SmsGateway` trait, an SMPP 3.4 client for a real SMSC, and a development
//! gateway that keeps an outbox instead of sending.
