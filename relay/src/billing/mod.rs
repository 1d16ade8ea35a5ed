//! Billing for CALL: accounts, the ledger, tariffs, credit reservations and settlement.
