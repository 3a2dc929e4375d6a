"""Quality gates: row rules that quarantine bad records, batch gates, and the audit report."""
