"""Demo scenarios: declarative data (people, cases, evidence, referrals…) and the driver
that replays them through the services. Nothing here is used by the running product
except ``manage.py load_scenario``; demo credentials live only in these modules."""
