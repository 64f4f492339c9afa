FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY server ./server
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -c requirements.lock -e .
USER nobody
EXPOSE 8000
CMD ["madoguchi", "serve"]
