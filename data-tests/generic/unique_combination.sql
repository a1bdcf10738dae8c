{% test unique_combination(model, columns) %}
{#- No two rows share the combination of these columns (nulls compare equal). -#}
select {{ columns | join(', ') }}, count(*) as rows_with_combination
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
