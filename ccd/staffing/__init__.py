"""Staffing forecast: Erlang C agents needed per interval, from ccd's own call history."""
