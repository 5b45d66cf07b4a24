# The Airflow image almanac's compose stack runs: the official 3.3.2 image plus the project's pinned
# requirements (Airflow itself is already in the image at the same version).
FROM apache/airflow:3.3.2-python3.11
COPY requirements.txt /requirements.txt
RUN pip install --no-cache-dir -r /requirements.txt
