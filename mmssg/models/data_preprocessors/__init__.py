from .ssg_data_preprocessor import SSGDataPreprocessor

__all__ = ['SSGDataPreprocessor']
