{% test not_null_columns(model, columns) %}
{#- None of these columns is null: one test (one query, one scan) instead of one not_null test
    per column; a failing row shows which of its columns are null. -#}
select {{ columns | join(', ') }}
from {{ model }}
where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
