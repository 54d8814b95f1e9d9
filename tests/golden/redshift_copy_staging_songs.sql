COPY staging_songs
FROM 's3://udacity-dend/song_data'
IAM_ROLE 'arn:aws:iam::123456789012:role/sparkifyS3Read'
REGION 'us-west-2'
JSON 'auto'
COMPUPDATE OFF
STATUPDATE OFF;
