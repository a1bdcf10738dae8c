{% test all_files_balance(model) %}
{{ config(store_failures=true, schema='test_failures') }}
{#- Principle 1: every landed file balances and none is quarantined. Returns the offending files. -#}
select file_name, file_status, file_error, lines_read, accepted, rejected, duplicates, ignored, unaccounted
from {{ model }}
where not is_balanced or file_status = 'quarantined' or unaccounted > 0
{% endtest %}
