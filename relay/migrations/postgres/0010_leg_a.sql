-- Leg A priced (#8 §5): the member's callback number is priced by the tariff table too, and
-- both legs are billed from the bridge. A reservation keeps leg A's tariff next to leg B's (the
-- existing connect_fee, per_minute, ... columns); reservations opened before this migration
-- held leg B only, so their leg A is free (0, 0, 1/1).
ALTER TABLE billing_reservations ADD COLUMN member_connect_fee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE billing_reservations ADD COLUMN member_per_minute BIGINT NOT NULL DEFAULT 0;
ALTER TABLE billing_reservations ADD COLUMN member_first_increment BIGINT NOT NULL DEFAULT 1;
ALTER TABLE billing_reservations ADD COLUMN member_next_increment BIGINT NOT NULL DEFAULT 1;
-- The call record names leg A's tariff and what each leg cost (charge = merchant_charge +
-- member_charge). NULL on records written before this migration (leg B only).
ALTER TABLE call_records ADD COLUMN member_tariff_prefix TEXT;
ALTER TABLE call_records ADD COLUMN merchant_charge BIGINT;
ALTER TABLE call_records ADD COLUMN member_charge BIGINT;
