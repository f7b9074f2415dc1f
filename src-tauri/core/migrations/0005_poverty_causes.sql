-- 0005: causes of poverty (nguyên nhân nghèo) recorded on the survey of a poor or near-poor
-- household, for the report "by cause of poverty". A JSON array of cause ids of the catalogue
-- (the rule set's «poverty_causes», else rules/poverty-causes.json); NULL = none recorded.

ALTER TABLE survey ADD COLUMN poverty_causes TEXT;
