"""Results: pass@k, reranking metrics, leaderboards, export and profiles, read from eval logs."""
