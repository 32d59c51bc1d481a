"""The operator's own databases, described by datasets: read a subject's rows there
and erase them with the strategy each column needs."""
