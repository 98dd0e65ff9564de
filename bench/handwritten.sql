-- The reference: the same aggregation as assessments/scoring, written by hand as one plain SQL
-- script into temporary tables (no ORM, no locks, no indexes, no outbox). Portable between
-- PostgreSQL and SQLite. {campaign}, {unit_survey} (TRUE/FALSE) and the depth lengths are filled
-- in by bench/run.py. Statements are separated by lines holding only ";".

DROP TABLE IF EXISTS hw_s
;
CREATE TEMP TABLE hw_s AS
SELECT a.response_id, q.indicator_id, i.domain_id,
       CAST(i.weight AS DOUBLE PRECISION) AS wi, CAST(q.weight AS DOUBLE PRECISION) AS wq,
       CASE
           WHEN a.is_hidden = TRUE OR a.score IS NULL THEN NULL
           WHEN i.evidence_required = TRUE AND NOT EXISTS (
               SELECT 1 FROM assessments_evidence e WHERE e.response_id = a.response_id AND e.indicator_id = i.id
           ) THEN 0.0
           ELSE a.score
       END AS s
FROM assessments_answer a
JOIN assessments_response r ON r.id = a.response_id
JOIN assessments_assignment asg ON asg.id = r.assignment_id
JOIN assessments_question q ON q.id = a.question_id
JOIN assessments_indicator i ON i.id = q.indicator_id
WHERE asg.campaign_id = {campaign} AND r.status IN ('submitted', 'approved')
;
DROP TABLE IF EXISTS hw_ind
;
CREATE TEMP TABLE hw_ind AS
SELECT response_id, indicator_id, domain_id, wi,
       100.0 * SUM(wq * s) / SUM(CASE WHEN s IS NOT NULL THEN wq END) AS score
FROM hw_s GROUP BY response_id, indicator_id, domain_id, wi
;
DROP TABLE IF EXISTS hw_dom
;
CREATE TEMP TABLE hw_dom AS
SELECT response_id, domain_id, SUM(wi * score) / SUM(CASE WHEN score IS NOT NULL THEN wi END) AS score
FROM hw_ind GROUP BY response_id, domain_id
;
DROP TABLE IF EXISTS hw_resp
;
CREATE TEMP TABLE hw_resp AS
SELECT r.id AS response_id, asg.unit_id, r.target_group,
       SUM(CAST(d.weight AS DOUBLE PRECISION) * hd.score)
         / SUM(CASE WHEN hd.score IS NOT NULL THEN CAST(d.weight AS DOUBLE PRECISION) END) AS overall
FROM assessments_response r
JOIN assessments_assignment asg ON asg.id = r.assignment_id
LEFT JOIN hw_dom hd ON hd.response_id = r.id
LEFT JOIN assessments_domain d ON d.id = hd.domain_id
WHERE asg.campaign_id = {campaign} AND r.status IN ('submitted', 'approved')
GROUP BY r.id, asg.unit_id, r.target_group
;
DROP TABLE IF EXISTS hw_anc
;
CREATE TEMP TABLE hw_anc AS
{ancestors}
;
DROP TABLE IF EXISTS hw_unit
;
CREATE TEMP TABLE hw_unit AS
SELECT anc.ancestor AS path,
       COUNT(DISTINCT asg.id) AS expected,
       COUNT(DISTINCT CASE WHEN hr.response_id IS NOT NULL THEN asg.id END) AS responded,
       COUNT(hr.response_id) AS responses,
       AVG(hr.overall) AS overall
FROM assessments_assignment asg
JOIN hw_anc anc ON anc.unit_id = asg.unit_id
LEFT JOIN hw_resp hr ON hr.unit_id = asg.unit_id
WHERE asg.campaign_id = {campaign}
GROUP BY anc.ancestor
;
DROP TABLE IF EXISTS hw_unit_dom
;
CREATE TEMP TABLE hw_unit_dom AS
SELECT anc.ancestor AS path, hd.domain_id, AVG(hd.score) AS score
FROM hw_dom hd
JOIN hw_resp hr ON hr.response_id = hd.response_id
JOIN hw_anc anc ON anc.unit_id = hr.unit_id
GROUP BY anc.ancestor, hd.domain_id
;
DROP TABLE IF EXISTS hw_group
;
CREATE TEMP TABLE hw_group AS
SELECT anc.ancestor AS path, hr.target_group, COUNT(*) AS responses,
       CASE WHEN COUNT(*) >= 5 THEN AVG(hr.overall) END AS overall
FROM hw_resp hr
JOIN hw_anc anc ON anc.unit_id = hr.unit_id
WHERE {member_survey}
GROUP BY anc.ancestor, hr.target_group
;
DROP TABLE IF EXISTS hw_rank
;
CREATE TEMP TABLE hw_rank AS
SELECT hu.path, RANK() OVER (PARTITION BY substr(u.path, 1, length(u.path) - 4), u.sector ORDER BY hu.overall DESC) AS rnk
FROM hw_unit hu JOIN units_unit u ON u.path = hu.path
WHERE hu.overall IS NOT NULL
