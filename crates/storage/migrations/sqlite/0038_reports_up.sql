-- What an organisation reports to the bodies it reports to (relation reports_to), kept so
-- that a prefecture's roll-up of its municipalities reads one row per assessment or case.

-- When the case was reported up (an incident reported to the prefecture); the roll-up
-- counts those still open.
ALTER TABLE cases ADD COLUMN reported_up_at INTEGER;
CREATE INDEX cases_reported_up ON cases (organisation_id)
    WHERE reported_up_at IS NOT NULL AND closed_at IS NULL;

-- The weight passed and the weight scored (passed or failed), written when an assessment
-- is submitted and its answers can no longer change.
ALTER TABLE assessments ADD COLUMN pass_weight INTEGER;
ALTER TABLE assessments ADD COLUMN scored_weight INTEGER;
UPDATE assessments
   SET pass_weight = (SELECT COALESCE(SUM(CASE WHEN outcome = 'pass' THEN weight ELSE 0 END), 0)
                        FROM assessment_answers WHERE assessment_id = assessments.id),
       scored_weight = (SELECT COALESCE(SUM(CASE WHEN outcome <> 'not_applicable' THEN weight ELSE 0 END), 0)
                          FROM assessment_answers WHERE assessment_id = assessments.id)
 WHERE submitted_at IS NOT NULL;
-- The roll-up reads, per organisation, the submitted assessments of one catalog and the
-- cases of one round.
CREATE INDEX assessments_rollup ON assessments (organisation_id, library_id, catalog_id, submitted_at)
    WHERE submitted_at IS NOT NULL;
CREATE INDEX recurring_rounds_rollup ON recurring_rounds (organisation_id, library_id, procedure_id, starts_on);
