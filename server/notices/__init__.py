"""Public notices (一月一公示, quarterly, 一年一评选): frozen snapshots of a period's rankings per
community, their corrections, and what they are printed and posted as (poster, A4 PDF, xlsx)."""
