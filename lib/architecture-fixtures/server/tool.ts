// A devDependency in what npm start runs (product-not-to-dev-dependencies).
import ts from 'typescript';

export const version = ts.version;
