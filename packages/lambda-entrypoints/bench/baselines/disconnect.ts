// Hand-written $disconnect route: one DynamoDB document client, created at init.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

const handler = async (event: { requestContext: { connectionId: string } }) => {
  await documents.send(
    new DeleteCommand({
      TableName: process.env.HERALD_CONNECTIONS_TABLE,
      Key: { pk: `conn#${event.requestContext.connectionId}`, sk: 'conn' },
    }),
  );
  return { statusCode: 200 };
};

export { handler };
