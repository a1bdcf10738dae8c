{#- The row shape of int_tool_suppressions__published, for a published file without the table
    (the first publish, or a file published before the table existed). -#}
{% macro empty_published_suppressions() -%}
    select
        cast(null as {{ dbt.type_string() }}) as origin,
        cast(null as {{ dbt.type_string() }}) as flag,
        cast(null as {{ dbt.type_string() }}) as import_name,
        cast(null as {{ dbt.type_string() }}) as contact_key,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as change,
        cast(null as date) as compared_with_as_of
    where false
{%- endmacro %}
