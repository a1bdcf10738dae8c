{% test accepted_reason_kinds(model, column_name, values) %}
{#- A reason is one of these kinds, alone or followed by ':<detail>' ('suppressed:erasure'): the
    kind is what readers group by, the detail is the resolver's own reason. Null passes. -#}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and split_part({{ column_name }}, ':', 1) not in (
        {%- for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor -%}
    )
{% endtest %}
