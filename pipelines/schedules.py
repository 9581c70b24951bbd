"""Schedules (US Eastern): origination before the bank's cutoff, daily settlement, monthly statements."""

import dagster as dg

from pipelines.jobs import (
    carrier_statements_job,
    originate_ach_debits_job,
    send_payment_reminders_job,
    settle_ach_debits_job,
)

TZ = "America/New_York"

# The sandbox bank's cutoff is 16:00 ET; origination runs at 14:30 on weekdays (a holiday run
# builds nothing new: effective dates are always banking days from paygo.calendar).
originate_ach_debits_schedule = dg.ScheduleDefinition(
    name="originate_ach_debits_schedule",
    job=originate_ach_debits_job, cron_schedule="30 14 * * 1-5", execution_timezone=TZ
)
settle_ach_debits_schedule = dg.ScheduleDefinition(
    name="settle_ach_debits_schedule",
    job=settle_ach_debits_job, cron_schedule="0 7 * * *", execution_timezone=TZ
)
carrier_statements_schedule = dg.ScheduleDefinition(
    name="carrier_statements_schedule",
    job=carrier_statements_job, cron_schedule="0 8 1 * *", execution_timezone=TZ
)
# The overdue pass runs every day at 06:30 ET, before settlement (07:00), whose notifications_sent
# delivers what it queued; a day it misses is caught up by the next run (paygo.dunning).
send_payment_reminders_schedule = dg.ScheduleDefinition(
    name="send_payment_reminders_schedule",
    job=send_payment_reminders_job, cron_schedule="30 6 * * *", execution_timezone=TZ
)


# Carrier payouts after the morning settlement, on weekdays (a holiday run's credit is effective on
# the next banking day: paygo.calendar).
pay_carriers_schedule = dg.ScheduleDefinition(
    name="pay_carriers_schedule", job_name="pay_carriers_job", cron_schedule="0 10 * * 1-5", execution_timezone=TZ
)
