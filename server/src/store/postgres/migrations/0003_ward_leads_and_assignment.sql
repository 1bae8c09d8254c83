-- "3 rõ": ward leads (lãnh đạo phường/xã) beside ward officers, and each report assigned to
-- one officer of its ward (as SQLite's migration 14).
ALTER TABLE staff
    DROP CONSTRAINT staff_role_check,
    DROP CONSTRAINT staff_check,
    ADD CONSTRAINT staff_role_check CHECK (role IN ('ward', 'ward_lead', 'city', 'admin')),
    ADD CONSTRAINT staff_check CHECK ((role IN ('ward', 'ward_lead')) = (ward_code IS NOT NULL));

-- The officer who answers for the report; NULL until the ward assigns it, and again after a
-- transfer (the new ward assigns its own).
ALTER TABLE reports ADD COLUMN assigned_to bigint REFERENCES staff(id);
-- An officer's own queue ("Việc của tôi").
CREATE INDEX reports_by_officer ON reports (assigned_to, status) WHERE assigned_to IS NOT NULL;
