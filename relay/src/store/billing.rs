//! Store functions of billing: accounts, ledger entries, tariffs, reservations, call records.
