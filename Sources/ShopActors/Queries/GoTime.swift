/// Go's `time.Time.String()` form the original's JSON uses: `2025-10-03 11:19:46.123456 +0000 UTC`.
enum GoTime {
    /// SQL that renders a UTC `timestamp` column as Go would (fraction without trailing zeros).
    static func sql(_ column: String) -> String {
        """
        (to_char(\(column), 'YYYY-MM-DD HH24:MI:SS') ||
         CASE WHEN extract(microseconds FROM \(column))::int % 1000000 = 0 THEN ''
              ELSE '.' || rtrim(to_char(\(column), 'US'), '0') END || ' +0000 UTC')
        """
    }
}
