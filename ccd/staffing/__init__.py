"""Staffing forecast: Erlang C agents needed per interval, from ccd's own call history.

``core/`` is the pure workforce maths (Erlang C and A, patience, forecast, slots, heat map);
``history`` reads the call history, ``routes`` serves ``/api/staffing``, ``cli`` is
`ccd staffing`. A layer below the other features: schedule plans on its forecast and the
console compares today with it (docs/architecture.md, "Contracts")."""
