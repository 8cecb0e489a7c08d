"""The fault and abuse campaign: nothing lost, nothing sent twice, nothing leaked."""
