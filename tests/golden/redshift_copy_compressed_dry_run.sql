COPY staging_events
FROM 's3://compressed-redshift/log_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/compressedRole'
REGION 'us-west-2'
JSON 's3://compressed-redshift/log_json_path.json'
GZIP
COMPUPDATE OFF
STATUPDATE OFF;

COPY staging_songs
FROM 's3://compressed-redshift/song_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/compressedRole'
REGION 'us-west-2'
JSON 'auto'
ZSTD
COMPUPDATE OFF
STATUPDATE OFF;

