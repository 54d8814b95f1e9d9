-- Helpers the transforms call, defined per dialect so the transforms themselves stay common.
-- sparkify_epoch_ms: epoch milliseconds (the logs' ts) -> TIMESTAMP in UTC.
CREATE OR REPLACE MACRO sparkify_epoch_ms(ms) AS epoch_ms(ms);
